# %% [markdown]
# # 手写数字 CNN（PyTorch）
#
# 本示例正在编写。

# %%
print("STUB")
