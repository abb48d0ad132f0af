# %% [markdown]
# # MiniLM 微调与注意力（Transformers）
#
# 本示例正在编写。

# %%
print("STUB")
