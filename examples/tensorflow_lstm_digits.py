# %% [markdown]
# # 逐行读数字的 LSTM（TensorFlow）
#
# 本示例正在编写。

# %%
print("STUB")
