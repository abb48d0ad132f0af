# %% [markdown]
# # 缩放定律：在本书上实测（PyTorch）
#
# 本示例是 [5.2 节](../../ch5-trends/compute/#缩放定律在本书上实测) 的实验部分：在本书自己的正文上训练 5 个
# 只有宽度不同的小 GPT，让它们看同样多的词元，测出验证损失怎样随参数量下降，在双对数坐标里拟合一条幂律，
# 并把拟合出的指数与论文里的指数对照。
#
# - **学什么**：怎样设计一个“只改一个变量”的缩放实验；缩放定律为什么数非嵌入参数；在双对数坐标里用最小二乘
#   拟合幂律 $L(N) = (N_c / N)^{\alpha_N}$，报告指数和拟合好坏；训练算力 $C \approx 6ND$；一台 2 核 CPU 上的实验
#   能说明什么、不能说明什么。
# - **数据**：与 [4.4 节](../../ch4-code/tiny-gpt/) 的小 GPT 相同：本书 `docs/` 下全部 Markdown 页面的正文，
#   按字分词，每页最后 10% 作验证集。不联网，不需要任何下载。
# - **模型**：4.4 节的小 GPT（预归一化、仅解码器的 Transformer），都是 2 层、4 个头，宽度 $d_{\text{model}}$
#   从 8 到 56 取 5 个值，非嵌入参数量从不到两千到七万多，相差四十多倍。
# - **运行时间**：空闲的 2 核 CPU 上约 20 到 40 秒（有 CUDA 时自动使用 GPU）；机器繁忙时会慢几倍。
# - **结果**：见下方构建网站时真实运行的输出和图。验证损失随参数量单调下降，双对数坐标里的五个点接近一条直线，
#   偏离它不过一两个百分点。拟合出的指数与 Kaplan 等人的 $\alpha_N \approx 0.076$ 数量级相同，但这两个数不能直接比，
#   “结果与局限”一段说明原因。书的正文在变，不同的 CPU 做浮点运算的顺序也不同，所以每次构建的数字会略有出入。
#   脚本断言损失随参数量单调下降、拟合的指数为正且直线拟合得好，变差时网站构建会失败。
#
# 运行：在仓库根目录执行 `python examples/scaling_laws_on_this_book.py`。脚本要读本书的 `docs/` 目录，
# 所以只能在本书的仓库里运行。

# %%
import math
import os
import re
import time
from pathlib import Path

# 须在导入 PyTorch 之前设置：空闲的线程睡眠等待，而不是空转占着核
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

# ruff: noqa: E402
import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from matplotlib import font_manager
from matplotlib.ticker import FormatStrFormatter, MultipleLocator, NullFormatter
from mplfonts.conf import FONT_DIR
from scipy.optimize import curve_fit

font_manager.fontManager.addfont(f"{FONT_DIR}/NotoSansCJKsc-Regular.otf")
plt.rcParams.update({"font.family": "Noto Sans CJK SC", "axes.unicode_minus": False})

SEED = 0
torch.manual_seed(SEED)
np.random.seed(SEED)
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
if device.type == "cpu":
    # 用上可用的核，但最多 4 个：矩阵这么小，线程再多也只是互相等待
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    torch.set_num_threads(min(cores, 4))
print("设备:", device, "| 线程数", torch.get_num_threads(), "| torch", torch.__version__)
T0 = time.perf_counter()

# %% [markdown]
# ## 语料：与小 GPT 相同
#
# 语料的做法与 [4.4 节](../../ch4-code/tiny-gpt/#语料本书自己的正文) 和示例
# [在本书上训练一个小 GPT](../tiny_gpt_on_this_book/) 完全一样，代码抄在这里，让本示例可以单独运行：去掉
# front matter、代码块、公式等不是正文的部分，每一页的最后 10% 作验证集，按字分词。
#
# 作为参照，再算出 4.4 节的两个基线在验证集上的损失：只看字频的一元模型，和只看前一个字的二元模型。

# %%
def find_docs():
    """本书的 docs/ 目录：从仓库根目录、examples/ 目录或脚本所在位置运行都能找到。"""
    candidates = [Path("docs"), Path("../docs")]
    if "__file__" in globals():
        candidates.insert(0, Path(__file__).resolve().parent.parent / "docs")
    for path in candidates:
        if (path / "index.md").is_file() and (path / "ch5-trends").is_dir():
            return path
    raise FileNotFoundError("找不到本书的 docs/ 目录：这个示例以本书自己的正文为语料，"
                            "需要在本书的仓库里运行（git clone 之后在仓库根目录执行）")


RULES = [                                                            # (模式, 换成什么)
    (r"(?s)\A---\n.*?\n---\n", ""),                                # front matter
    (r"(?s)^([ \t]*)(`{3,}|~{3,}).*?^\1\2[ \t]*$", ""),            # 代码块
    (r"(?s)<!--.*?-->|<[^>\n]+>", ""),                             # HTML 注释与标签
    (r"(?s)\$\$.*?\$\$|\$[^$\n]+\$", ""),                          # 公式
    (r"\]\([^)]*\)", "]"),                                         # 链接地址（链接文字留下）
    (r"^[ \t]*(\?\?\?|!!!|===|--8<--|\{:|\|[-:| ]+\|[ \t]*$).*$", ""),  # 折叠块、标签页、表格分隔行
    (r"[*`|\[\]]|^[ \t]*[#>]+", ""),                               # 粗体、行内代码、表格与链接的符号、标题
    (r"[ \t]+", " "),                                              # 连续的空格
    (r"\s*\n\s*\n\s*", "\n\n"),                                    # 连续的空行
]


def clean(text):
    """一个 Markdown 页面的正文：依次套用 RULES，每条去掉一种不是正文的东西。"""
    for pattern, repl in RULES:
        text = re.sub(pattern, repl, text, flags=re.M)
    return text.strip()


pages = [clean(path.read_text(encoding="utf-8")) for path in sorted(find_docs().rglob("*.md"))]
cuts = [int(len(p) * 0.9) for p in pages]
train_text = "\n\n".join(p[:c] for p, c in zip(pages, cuts, strict=True))
val_text = "\n\n".join(p[c:] for p, c in zip(pages, cuts, strict=True))

itos = ["<unk>"] + sorted(set(train_text))          # 按字分词；验证集里没见过的字记作 <unk>
stoi = {c: i for i, c in enumerate(itos)}
VOCAB = len(itos)
train_ids = torch.tensor([stoi.get(c, 0) for c in train_text])
val_ids = torch.tensor([stoi.get(c, 0) for c in val_text])
print(f"{len(pages)} 个页面；词表 {VOCAB} 个字；训练集 {len(train_ids):,} 个词元，验证集 {len(val_ids):,} 个")


def unigram_loss(train, val, vocab):
    """一元模型（加一平滑）在验证集上每个词元的交叉熵。"""
    counts = np.bincount(train, minlength=vocab)
    p = (counts + 1) / (counts.sum() + vocab)
    return float(-np.log(p[val[1:]]).mean())


def bigram_loss(train, val, vocab, discount=0.75):
    """二元模型（插值的绝对折扣）在验证集上每个词元的交叉熵，与 4.4 节相同。"""
    pairs = np.zeros((vocab, vocab))
    np.add.at(pairs, (train[:-1], train[1:]), 1)
    context, kinds_after, kinds_before = pairs.sum(1), (pairs > 0).sum(1), (pairs > 0).sum(0)
    p_cont = (kinds_before + 1) / (kinds_before.sum() + vocab)
    a, b = val[:-1], val[1:]
    weight = np.where(context[a] > 0, discount * kinds_after[a] / np.maximum(context[a], 1), 1.0)
    p = np.maximum(pairs[a, b] - discount, 0) / np.maximum(context[a], 1) + weight * p_cont[b]
    return float(-np.log(p).mean())


J_uni = unigram_loss(train_ids.numpy(), val_ids.numpy(), VOCAB)
J_bi = bigram_loss(train_ids.numpy(), val_ids.numpy(), VOCAB)
print(f"基线的验证损失：一元模型 {J_uni:.3f}，二元模型 {J_bi:.3f}（nat/字）")

# %% [markdown]
# ## 模型：只改宽度的小 GPT
#
# 模型就是 4.4 节的小 GPT：词元嵌入加可学习的位置嵌入，若干个预归一化的 Transformer 块，最后一次层归一化和
# 输出层。所有模型都是 2 层、4 个头，只有宽度 $d_{\text{model}}$ 不同。
#
# 缩放定律里的 $N$ 数的是**非嵌入参数**：去掉词元嵌入、位置嵌入和输出层之后剩下的参数，也就是各个
# Transformer 块和最后一个层归一化。Kaplan 等人发现，这样数时不同层数的模型落在同一条曲线上，把嵌入也算进去，
# 曲线就随层数分开（[Kaplan 等，2020](../../references/#ref-kaplan2020)）。对这里的小模型，这一区别尤其要紧：
# 词表有一千多个字，$d_{\text{model}} = 8$ 时，输出层的参数是所有块加起来的好几倍。
# 按 [3.6 节的式 (3.6.7)](../../ch3-algorithms/transformer/#参数量)，每个块有 $12 d_{\text{model}}^2 + 13 d_{\text{model}}$
# 个参数；代码数出来的与公式逐一核对。

# %%
class Block(nn.Module):
    def __init__(self, d_model, n_head):
        super().__init__()
        self.n_head = n_head
        self.ln1 = nn.LayerNorm(d_model)
        self.qkv = nn.Linear(d_model, 3 * d_model)
        self.proj = nn.Linear(d_model, d_model)
        self.ln2 = nn.LayerNorm(d_model)
        self.ffn = nn.Sequential(nn.Linear(d_model, 4 * d_model), nn.GELU(), nn.Linear(4 * d_model, d_model))

    def forward(self, x):
        B, T, d = x.shape
        q, k, v = self.qkv(self.ln1(x)).view(B, T, 3, self.n_head, d // self.n_head).permute(2, 0, 3, 1, 4)
        att = F.scaled_dot_product_attention(q, k, v, is_causal=True)   # (B, n_head, T, d_k)
        x = x + self.proj(att.transpose(1, 2).reshape(B, T, d))
        return x + self.ffn(self.ln2(x))


class TinyGPT(nn.Module):
    def __init__(self, vocab, block_size, d_model, n_head, n_layer):
        super().__init__()
        self.tok = nn.Embedding(vocab, d_model)
        self.pos = nn.Embedding(block_size, d_model)
        self.blocks = nn.Sequential(*[Block(d_model, n_head) for _ in range(n_layer)])
        self.ln = nn.LayerNorm(d_model)
        self.head = nn.Linear(d_model, vocab, bias=False)
        self.apply(self._init)

    @staticmethod
    def _init(module):
        if isinstance(module, (nn.Linear, nn.Embedding)):
            nn.init.normal_(module.weight, std=0.02)
        if isinstance(module, nn.Linear) and module.bias is not None:
            nn.init.zeros_(module.bias)

    def forward(self, ids):
        T = ids.shape[1]
        x = self.tok(ids) + self.pos.weight[:T]
        return self.head(self.ln(self.blocks(x)))                       # (B, T, vocab)


def non_embedding(model):
    """非嵌入参数量：各个块与最后一个层归一化，不含词元嵌入、位置嵌入和输出层。"""
    return sum(p.numel() for p in [*model.blocks.parameters(), *model.ln.parameters()])


BLOCK, N_HEAD, N_LAYER = 32, 4, 2
WIDTHS = [8, 12, 20, 32, 56]
print(" d_model | 非嵌入参数 N | 全部参数 | 非嵌入所占比例")
for d in WIDTHS:
    m = TinyGPT(VOCAB, BLOCK, d, N_HEAD, N_LAYER)
    N, total = non_embedding(m), sum(p.numel() for p in m.parameters())
    assert N == N_LAYER * (12 * d**2 + 13 * d) + 2 * d        # 式 (3.6.7)，外加最后的层归一化
    print(f"{d:8d} | {N:12,} | {total:8,} | {N / total:9.0%}")
print(f"最大与最小的非嵌入参数量相差 {N / non_embedding(TinyGPT(VOCAB, BLOCK, WIDTHS[0], N_HEAD, N_LAYER)):.0f} 倍")

# %% [markdown]
# ## 实验：同样的词元预算，只改宽度
#
# 要看参数量的作用，其余一切都要相同：
#
# - **同样的数据、同样的顺序**：每个模型用同一个随机种子取小批量，看到的是完全相同的 $D$ 个词元；
# - **同样的训练设置**：AdamW，学习率在前 10% 的步数里线性升到峰值，再按余弦降到峰值的 10%，并且恰好在第 $D$ 个
#   词元处降到底。学习率调度的长度要与训练的词元数相配，否则拟合出的缩放定律会偏
#   （[Hoffmann 等，2022](../../references/#ref-hoffmann2022)）；
# - **同样的初始化方式和种子**；峰值学习率对所有宽度都一样，没有按模型大小单独调。
#
# 训练算力按 [1.1 节的式 (1.1.3)](../../ch1-background/definition/#估算训练算力) 估算为 $C \approx 6ND$，
# 其中 $N$ 也取非嵌入参数量，与 Kaplan 等人的做法一致。每个模型训练结束时在整个验证集上算一次损失；训练途中
# 还在几个对数坐标上等距的时刻各评估一次，用来画出损失随算力下降的曲线。

# %%
STEPS, BATCH, LR, WARMUP = 160, 16, 2e-3, 16
D = STEPS * BATCH * BLOCK                        # 每个模型看到的词元数
CHECKPOINTS = [STEPS // 8, STEPS // 4, STEPS // 2, STEPS]   # 在对数坐标上等距


def get_batch(ids, generator):
    """从一维词元序列 ids 中随机取 BATCH 个长 BLOCK + 1 的窗口，返回（输入，目标）。"""
    starts = torch.randint(0, len(ids) - BLOCK, (BATCH,), generator=generator)
    windows = torch.stack([ids[s:s + BLOCK + 1] for s in starts.tolist()])
    return windows[:, :-1].to(device), windows[:, 1:].to(device)


@torch.no_grad()
def evaluate(model, ids):
    """整个验证集上每个词元的平均交叉熵（nat）：按长 BLOCK 的窗口切开，每个词元恰好被预测一次。"""
    model.eval()
    n = (len(ids) - 1) // BLOCK
    inputs = ids[:n * BLOCK].view(n, BLOCK).to(device)
    targets = ids[1:n * BLOCK + 1].view(n, BLOCK).to(device)
    total = sum(F.cross_entropy(model(inputs[i:i + 64]).flatten(0, 1), targets[i:i + 64].flatten(),
                                reduction="sum").item() for i in range(0, n, 64))
    model.train()
    return total / targets.numel()


def lr_at(step):
    """线性预热 WARMUP 步，再按余弦从 LR 降到 LR/10，在最后一步降到底。"""
    if step < WARMUP:
        return LR * (step + 1) / WARMUP
    progress = (step - WARMUP) / max(1, STEPS - 1 - WARMUP)
    return LR * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * progress)))


def train(d_model):
    """训练一个宽 d_model 的模型，返回它的非嵌入参数量和各个评估时刻的验证损失。"""
    torch.manual_seed(SEED)
    model = TinyGPT(VOCAB, BLOCK, d_model, N_HEAD, N_LAYER).to(device)
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    optimizer = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1},
                                   {"params": no_decay, "weight_decay": 0.0}], lr=LR, betas=(0.9, 0.95))
    generator = torch.Generator().manual_seed(SEED)          # 每个模型看到同样的小批量
    curve = []
    for step in range(STEPS):
        for group in optimizer.param_groups:
            group["lr"] = lr_at(step)
        xb, yb = get_batch(train_ids, generator)
        loss = F.cross_entropy(model(xb).flatten(0, 1), yb.flatten())
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        if step + 1 in CHECKPOINTS:
            curve.append(evaluate(model, val_ids))
    return non_embedding(model), curve


print(f"每个模型训练 {STEPS} 步，每步 {BATCH}×{BLOCK} 个词元，D = {D:,} 个词元"
      f"（把训练集看了 {D / len(train_ids):.1f} 遍）", flush=True)
results = []
for d in WIDTHS:
    t = time.perf_counter()
    N, curve = train(d)
    results.append({"d": d, "N": N, "L": curve[-1], "curve": curve})
    print(f"d_model {d:3d}  N {N:8,}  C = 6ND {6 * N * D:.2e}  验证损失 {curve[-1]:.3f}  "
          f"用时 {time.perf_counter() - t:.0f} 秒", flush=True)

# %% [markdown]
# ## 拟合幂律
#
# 两边取对数，$L(N) = (N_c/N)^{\alpha_N}$ 变成 $\log L = \alpha_N \log N_c - \alpha_N \log N$：在双对数坐标里是一条
# 斜率为 $-\alpha_N$ 的直线，用最小二乘拟合直线即可（5.2 节从零实现了这一步，这里直接用 `np.polyfit`）。
# 拟合得好不好，看对数空间里的决定系数 $R^2$，以及各点偏离直线的最大相对误差。
#
# 另一种常用的形式再加一个常数项 $L_\infty$，代表模型再大也降不下去的那部分损失：
# $L(N) = L_\infty + (N_c/N)^{\alpha_N}$。它有三个参数，只有五个点时定不准，这里只作参考。

# %%
N_arr = np.array([r["N"] for r in results], dtype=float)
L_arr = np.array([r["L"] for r in results])
slope, intercept = np.polyfit(np.log(N_arr), np.log(L_arr), 1)
alpha_N = -slope
N_c = math.exp(intercept / alpha_N)
resid = np.log(L_arr) - np.log((N_c / N_arr) ** alpha_N)
r2 = 1 - (resid**2).sum() / ((np.log(L_arr) - np.log(L_arr).mean()) ** 2).sum()
print(f"纯幂律 L(N) = (N_c/N)^α_N：α_N = {alpha_N:.3f}，N_c = {N_c:.1e}，"
      f"对数空间的 R² = {r2:.3f}，最大相对偏差 {np.abs(np.expm1(resid)).max():.1%}")
print(f"参数量每增加到 10 倍，验证损失变为原来的 {10 ** -alpha_N:.1%}"
      f"（Kaplan 等人的 α_N ≈ 0.076 对应 {10 ** -0.076:.1%}）")
print("各点相对直线的偏差：", " ".join(f"{x:+.1%}" for x in np.expm1(resid)))


def with_floor(log_N, L_inf, log_Nc, a):
    """L(N) = L_∞ + (N_c/N)^a，以 log N 为自变量，便于数值求解。"""
    return L_inf + np.exp(a * (log_Nc - log_N))


try:
    (L_inf, log_Nc, a), _ = curve_fit(with_floor, np.log(N_arr), L_arr, p0=[L_arr.min() / 2, 10.0, 0.3],
                                      bounds=([0, 0, 0.01], [L_arr.min(), 60, 3]), maxfev=20000)
    print(f"带常数项 L(N) = L_∞ + (N_c/N)^α_N：L_∞ = {L_inf:.2f}，α_N = {a:.2f}"
          f"（{len(N_arr)} 个点定 3 个参数，仅供参考）")
except RuntimeError as err:                          # 点太少时可能不收敛
    print("带常数项的拟合没有收敛：", err)

assert np.all(np.diff(L_arr) < 0), f"验证损失没有随参数量单调下降：{L_arr.round(3)}"
assert alpha_N > 0 and r2 > 0.9, f"幂律拟合得不好：α_N = {alpha_N:.3f}，R² = {r2:.3f}"

# %% [markdown]
# ## 画出来：损失与参数量、损失与算力
#
# 左图：每个模型训练结束时的验证损失与非嵌入参数量，虚线是拟合的幂律，两条水平线是一元、二元基线。
# 右图：每个模型在训练途中的验证损失与已用的算力 $C = 6N \times$（已看过的词元数）。右图中途的点，学习率还没有
# 降下来，比“用同样多的词元从头训练到底”的模型差一些，只能看个大概。

# %%
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.2), constrained_layout=True)
grid = np.geomspace(N_arr.min() / 1.5, N_arr.max() * 1.5, 50)
ax1.plot(N_arr, L_arr, "o", ms=7, color="tab:blue", label="实测（训练结束时）")
ax1.plot(grid, (N_c / grid) ** alpha_N, "--", color="tab:orange", label=f"拟合：α_N = {alpha_N:.3f}")
ax1.axhline(J_uni, color="tab:gray", ls=":", label="一元模型")
ax1.axhline(J_bi, color="tab:red", ls=":", label="二元模型")
for r in results:
    ax1.annotate(f"d={r['d']}", (r["N"], r["L"]), textcoords="offset points", xytext=(6, 4), fontsize=9)
ax1.set(xscale="log", yscale="log", xlabel="非嵌入参数量 N", ylabel="验证损失 L（nat/字）",
        title=f"同样的 D = {D:,} 个词元")
ax1.legend(fontsize=9)
tokens_seen = np.array(CHECKPOINTS) * BATCH * BLOCK
for r in results:
    ax2.plot(6 * r["N"] * tokens_seen, r["curve"], "o-", ms=3, label=f"d={r['d']}")
ax2.axhline(J_bi, color="tab:red", ls=":", label="二元模型")
ax2.set(xscale="log", yscale="log", xlabel="训练算力 C = 6ND（次浮点运算）", ylabel="验证损失 L（nat/字）",
        title="训练途中的损失与算力")
ax2.legend(fontsize=9)
for ax in (ax1, ax2):
    ax.grid(True, which="both", alpha=0.3)
    ax.yaxis.set_major_locator(MultipleLocator(0.5))        # 纵轴也是对数坐标，刻度写成普通小数
    ax.yaxis.set_major_formatter(FormatStrFormatter("%.1f"))
    ax.yaxis.set_minor_formatter(NullFormatter())
plt.show()

# %% [markdown]
# ## 结果与局限
#
# 下表汇总本次运行的结果。读它时要记住，这是一个 2 核 CPU 上一分钟以内的实验，与论文的实验差着许多个数量级：
#
# - **它能说明的**：其余条件都相同时，验证损失随参数量单调下降；在双对数坐标里，这几个点大致排成一条直线，
#   也就是近似的幂律；同样的词元数，大模型学到的更多（Kaplan 等人称之为大模型的样本效率更高，
#   [Kaplan 等，2020](../../references/#ref-kaplan2020)）；右图里，算力相同时并不是越大的模型越好，
#   较小而看过更多词元的模型损失更低。这与 [1.3 节](../../ch1-background/challenges/#三个机遇) 的经验一致：
#   按每个参数约 20 个词元（[Hoffmann 等，2022](../../references/#ref-hoffmann2022)），这里的 $D$ 只配得上
#   表下打印的那么大的模型，比这里最大的几个小得多。
# - **它不能说明的**：拟合出的 $\alpha_N$ 不能当作对 Kaplan 等人 $\alpha_N \approx 0.076$ 的检验。他们的
#   $\alpha_N$ 是在数据足够多、每个模型都训练到收敛的条件下测的；这里每个模型连十几万字的训练集都没看完一遍，
#   损失全都不如只数相邻两个字的二元模型，最小的两个连只数字频的一元模型都不如，离收敛很远。
#   这时测到的主要是“同样的 $D$ 下谁学得快”，而不是模型容量的极限。每个模型都离自己的极限很远，
#   这几个点在双对数坐标里还看不出变平，带常数项的拟合也就定不出有意义的 $L_\infty$；即使定得出，
#   这个“常数”里也混着数据不够造成的那部分损失。
# - **其余的局限**：模型只有不到两千到七万多个参数（Kaplan 等人的从几百到十几亿，
#   [Kaplan 等，2020](../../references/#ref-kaplan2020)）；只有一个词元预算；只改宽度，层数固定；
#   按字分词的中文，而论文用子词分词、以英文为主的语料（损失的单位不同，但把所有点的损失乘上同一个常数，
#   纯幂律的指数不变）；
#   峰值学习率对所有大小都一样，没有按大小调。写这个示例时试过：把峰值学习率换一个值，拟合出的指数就明显地变，
#   小模型配大一些的学习率能追回很多。只用了一个随机种子；写这个示例时用 3 个种子各跑过一遍：同一宽度的损失
#   上下移动的幅度明显小于相邻两个宽度之差，拟合的指数只在第三位小数上变。换种子不怎么动它，换学习率却会，
#   可见这个指数量的首先是这一套训练设置，而不只是模型的大小。

# %%
print(" d_model |  非嵌入 N |   C = 6ND  | 验证损失 | 困惑度")
for r in results:
    print(f"{r['d']:8d} | {r['N']:8,} | {6 * r['N'] * D:.2e} | {r['L']:8.3f} | {math.exp(r['L']):6.1f}")
print(f"二元模型的验证损失 {J_bi:.3f}；拟合的指数 α_N = {alpha_N:.3f}（Kaplan 等人：约 0.076）")
print(f"按每个参数约 20 个词元，D = {D:,} 个词元配 {D / 20:,.0f} 个参数的模型")
print(f"总用时 {time.perf_counter() - T0:.0f} 秒")
