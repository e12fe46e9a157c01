//! The BERT encoder forward pass (inference only, float32, CPU), over batches of texts of one
//! token count.
//!
//! It computes what Hugging Face `transformers`' `BertModel` computes (the last hidden state;
//! no pooler): embeddings (word + position + token type, LayerNorm), then per layer
//! self-attention (`softmax(QKᵀ/√d)·V` per head), a dense output with the residual and
//! LayerNorm, and the feed-forward block (dense, activation, dense, residual, LayerNorm).
//! Weights are read from `model.safetensors` with the names `transformers` saves (with or
//! without a `bert.` prefix); `config.json` is read as [`BertConfig`].
//!
//! Matrix products run in candle (the `gemm` crate); the steps between them are fused into
//! single passes over the data, with the element-wise functions from `rten-vecmath`
//! (SIMD-vectorised GELU/erf and softmax; GELU's erf within 7e-7 of the exact one). A batch
//! has no padding (texts of one token count, see [`super::batches`]), so there is no attention
//! mask: every token attends to every token of its text.

use std::collections::HashMap;

use candle_core::{CpuStorage, DType, Device, InplaceOp1, InplaceOp2, Layout, Tensor};
use rten_simd::{SimdOp, SimdUnaryOp};
use serde::Deserialize;

/// The fields of a BERT `config.json` (`transformers`' `BertConfig`) the forward pass reads;
/// others are ignored. Defaults are `transformers`'.
#[derive(Debug, Clone, Deserialize)]
pub struct BertConfig {
    /// Rows of the word embedding table.
    pub vocab_size: usize,
    /// Width of every token vector.
    pub hidden_size: usize,
    /// Encoder layers.
    pub num_hidden_layers: usize,
    /// Attention heads per layer (they divide `hidden_size`).
    pub num_attention_heads: usize,
    /// Width of the feed-forward block.
    pub intermediate_size: usize,
    /// The feed-forward activation: `gelu` (exact erf, the default), `gelu_new` or
    /// `gelu_pytorch_tanh` (the tanh approximation), or `relu`.
    #[serde(default = "default_activation")]
    pub hidden_act: String,
    /// Rows of the position embedding table: the longest input.
    pub max_position_embeddings: usize,
    /// Rows of the token type table (default 2).
    #[serde(default = "default_type_vocab_size")]
    pub type_vocab_size: usize,
    /// LayerNorm's ε (default 1e-12).
    #[serde(default = "default_layer_norm_eps")]
    pub layer_norm_eps: f64,
    /// Only `absolute` (the default) is supported.
    #[serde(default)]
    pub position_embedding_type: Option<String>,
}

/// `config.json`'s `model_type`, read before the fields (another encoder's configuration has
/// other fields, and the model type says more than the first one missing).
#[derive(Debug, Clone, Deserialize)]
pub struct ModelType {
    /// `bert` for a BERT encoder; absent in some older folders.
    #[serde(default)]
    pub model_type: Option<String>,
}

fn default_activation() -> String {
    "gelu".into()
}

fn default_type_vocab_size() -> usize {
    2
}

fn default_layer_norm_eps() -> f64 {
    1e-12
}

/// The feed-forward activation.
#[derive(Debug, Clone, Copy)]
enum Activation {
    /// `x · Φ(x)` with the exact erf (`transformers`' `gelu`).
    Gelu,
    /// The tanh approximation of GELU (`gelu_new`, `gelu_pytorch_tanh`).
    GeluTanh,
    Relu,
}

/// A loaded BERT encoder.
pub struct Encoder {
    word: Tensor,
    position: Tensor,
    token_type: Tensor,
    embedding_norm: Norm,
    layers: Vec<Layer>,
    heads: usize,
    hidden: usize,
}

/// LayerNorm's parameters (`weight`, `bias`, ε), applied after adding a residual.
struct Norm {
    weight: Vec<f32>,
    bias: Vec<f32>,
    eps: f32,
}

/// A dense layer: the weight transposed (`[in, out]`, so `x · w` is the layer) and the bias.
struct Dense {
    weight: Tensor,
    bias: Vec<f32>,
}

struct Layer {
    /// Query, key and value in one product: `[hidden, 3 · hidden]`.
    qkv: Dense,
    attention_output: Dense,
    attention_norm: Norm,
    intermediate: Dense,
    activation: Activation,
    output: Dense,
    output_norm: Norm,
}

/// The tensors of `model.safetensors`, read as float32, under an optional `bert.` prefix.
struct Weights {
    tensors: HashMap<String, Tensor>,
    prefix: &'static str,
}

impl Weights {
    /// The tensor `name` (without the prefix), which must have `shape`.
    fn get(&self, name: &str, shape: &[usize]) -> candle_core::Result<Tensor> {
        let full = format!("{}{name}", self.prefix);
        let Some(tensor) = self.tensors.get(&full) else {
            candle_core::bail!("no tensor `{full}`")
        };
        if tensor.dims() != shape {
            candle_core::bail!(
                "tensor `{full}` has shape {:?}, config.json implies {shape:?}",
                tensor.dims()
            );
        }
        tensor.to_dtype(DType::F32)
    }

    fn vector(&self, name: &str, size: usize) -> candle_core::Result<Vec<f32>> {
        self.get(name, &[size])?.to_vec1::<f32>()
    }

    fn norm(&self, name: &str, size: usize, eps: f64) -> candle_core::Result<Norm> {
        Ok(Norm {
            weight: self.vector(&format!("{name}.weight"), size)?,
            bias: self.vector(&format!("{name}.bias"), size)?,
            eps: eps as f32,
        })
    }

    /// The dense layers `{prefix}.{name}` (each `[outputs, inputs]`), stacked into one
    /// `[inputs, Σ outputs]`.
    fn dense(
        &self,
        prefix: &str,
        names: &[&str],
        outputs: usize,
        inputs: usize,
    ) -> candle_core::Result<Dense> {
        let mut weights = Vec::new();
        let mut bias = Vec::new();
        for name in names {
            weights.push(self.get(&format!("{prefix}.{name}.weight"), &[outputs, inputs])?);
            bias.extend(self.vector(&format!("{prefix}.{name}.bias"), outputs)?);
        }
        let weight = Tensor::cat(&weights, 0)?.t()?.contiguous()?;
        Ok(Dense { weight, bias })
    }
}

impl Encoder {
    /// Loads the encoder `config` describes from the bytes of a `model.safetensors` (weights
    /// named as `transformers` saves them, at the root or under `bert.`). Errors: a file that
    /// is not safetensors, a missing tensor or one of another shape (named), an unsupported
    /// activation or position embedding type, or heads that do not divide the hidden size.
    pub fn load(safetensors: &[u8], config: &BertConfig) -> candle_core::Result<Encoder> {
        let activation = match config.hidden_act.as_str() {
            "gelu" => Activation::Gelu,
            "gelu_new" | "gelu_pytorch_tanh" => Activation::GeluTanh,
            "relu" => Activation::Relu,
            other => candle_core::bail!(
                "hidden_act `{other}` is not supported (gelu, gelu_new, gelu_pytorch_tanh, relu)"
            ),
        };
        if let Some(kind) = config
            .position_embedding_type
            .as_deref()
            .filter(|k| *k != "absolute")
        {
            candle_core::bail!("position_embedding_type `{kind}` is not supported (absolute)");
        }
        let h = config.hidden_size;
        if config.num_attention_heads == 0 || !h.is_multiple_of(config.num_attention_heads) {
            candle_core::bail!(
                "hidden_size {h} is not a multiple of num_attention_heads {}",
                config.num_attention_heads
            );
        }
        let tensors = candle_core::safetensors::load_buffer(safetensors, &Device::Cpu)?;
        let prefix = if tensors.contains_key("bert.embeddings.word_embeddings.weight") {
            "bert."
        } else {
            ""
        };
        let w = Weights { tensors, prefix };
        let (eps, inner) = (config.layer_norm_eps, config.intermediate_size);
        let mut layers = Vec::with_capacity(config.num_hidden_layers);
        for n in 0..config.num_hidden_layers {
            let l = format!("encoder.layer.{n}");
            layers.push(Layer {
                qkv: w.dense(
                    &format!("{l}.attention.self"),
                    &["query", "key", "value"],
                    h,
                    h,
                )?,
                attention_output: w.dense(&format!("{l}.attention.output"), &["dense"], h, h)?,
                attention_norm: w.norm(&format!("{l}.attention.output.LayerNorm"), h, eps)?,
                intermediate: w.dense(&format!("{l}.intermediate"), &["dense"], inner, h)?,
                activation,
                output: w.dense(&format!("{l}.output"), &["dense"], h, inner)?,
                output_norm: w.norm(&format!("{l}.output.LayerNorm"), h, eps)?,
            });
        }
        Ok(Encoder {
            word: w.get("embeddings.word_embeddings.weight", &[config.vocab_size, h])?,
            position: w.get(
                "embeddings.position_embeddings.weight",
                &[config.max_position_embeddings, h],
            )?,
            token_type: w.get(
                "embeddings.token_type_embeddings.weight",
                &[config.type_vocab_size, h],
            )?,
            embedding_norm: w.norm("embeddings.LayerNorm", h, eps)?,
            layers,
            heads: config.num_attention_heads,
            hidden: h,
        })
    }

    /// The last hidden state of `rows` texts of `width` tokens each: `ids` and `types` are
    /// row-major `[rows, width]`; the result is `[rows, width, hidden]`.
    pub fn forward(
        &self,
        ids: Vec<u32>,
        types: Vec<u32>,
        rows: usize,
        width: usize,
    ) -> candle_core::Result<Tensor> {
        let n = rows * width;
        let (h, heads) = (self.hidden, self.heads);
        let d = h / heads;
        let ids = Tensor::from_vec(ids, n, &Device::Cpu)?;
        let types = Tensor::from_vec(types, n, &Device::Cpu)?;
        let words = self.word.index_select(&ids, 0)?;
        let kinds = self.token_type.index_select(&types, 0)?;
        let positions = self
            .position
            .narrow(0, 0, width)?
            .unsqueeze(0)?
            .broadcast_as((rows, width, h))?
            .reshape((n, h))?;
        // As transformers adds them: (word + token type) + position.
        let x = (words + kinds)?;
        x.inplace_op2(&positions, &ResidualNorm(&self.embedding_norm, &[]))?;
        let mut x = x;
        for layer in &self.layers {
            // Self-attention.
            let qkv = x.matmul(&layer.qkv.weight)?;
            qkv.inplace_op1(&BiasActivation(&layer.qkv.bias, None))?;
            let qkv = qkv.reshape((rows, width, 3, heads, d))?;
            let part = |k: usize| {
                qkv.narrow(2, k, 1)?
                    .squeeze(2)?
                    .transpose(1, 2)?
                    .contiguous()
            };
            let (q, k, v) = (part(0)?, part(1)?, part(2)?);
            let scores = q.matmul(&k.t()?)?;
            scores.inplace_op1(&ScaledSoftmax(1.0 / (d as f32).sqrt()))?;
            let context = scores
                .matmul(&v)?
                .transpose(1, 2)?
                .contiguous()?
                .reshape((n, h))?;
            let attention = context.matmul(&layer.attention_output.weight)?;
            attention.inplace_op2(
                &x,
                &ResidualNorm(&layer.attention_norm, &layer.attention_output.bias),
            )?;
            // Feed-forward.
            let inner = attention.matmul(&layer.intermediate.weight)?;
            inner.inplace_op1(&BiasActivation(
                &layer.intermediate.bias,
                Some(layer.activation),
            ))?;
            let output = inner.matmul(&layer.output.weight)?;
            output.inplace_op2(
                &attention,
                &ResidualNorm(&layer.output_norm, &layer.output.bias),
            )?;
            x = output;
        }
        x.reshape((rows, width, h))
    }
}

/// The contiguous float32 data an in-place op works on.
fn data<'a>(storage: &'a mut CpuStorage, layout: &Layout) -> candle_core::Result<&'a mut [f32]> {
    match (storage, layout.contiguous_offsets()) {
        (CpuStorage::F32(v), Some((start, end))) => Ok(&mut v[start..end]),
        (CpuStorage::F32(_), None) => candle_core::bail!("encoder op on a non-contiguous tensor"),
        (_, _) => candle_core::bail!("encoder op on a tensor that is not float32"),
    }
}

/// In place: `activation(x + bias)` row by row (`bias` as long as a row); `None`: the identity.
struct BiasActivation<'a>(&'a [f32], Option<Activation>);

impl InplaceOp1 for BiasActivation<'_> {
    fn name(&self) -> &'static str {
        "bias-activation"
    }

    fn cpu_fwd(&self, storage: &mut CpuStorage, layout: &Layout) -> candle_core::Result<()> {
        let out = data(storage, layout)?;
        let bias = self.0;
        for row in out.chunks_exact_mut(bias.len()) {
            for (x, b) in row.iter_mut().zip(bias) {
                *x += b;
            }
        }
        match self.1 {
            None => {}
            Some(Activation::Gelu) => rten_vecmath::Gelu {}.map_mut(out),
            Some(Activation::GeluTanh) => rten_vecmath::ApproxGelu {}.map_mut(out),
            Some(Activation::Relu) => out.iter_mut().for_each(|x| *x = x.max(0.0)),
        }
        Ok(())
    }
}

/// In place: `softmax(scale · x)` over the last dimension.
struct ScaledSoftmax(f32);

impl InplaceOp1 for ScaledSoftmax {
    fn name(&self) -> &'static str {
        "scaled-softmax"
    }

    fn cpu_fwd(&self, storage: &mut CpuStorage, layout: &Layout) -> candle_core::Result<()> {
        let width = *layout.shape().dims().last().unwrap_or(&1);
        let out = data(storage, layout)?;
        out.iter_mut().for_each(|x| *x *= self.0);
        for row in out.chunks_exact_mut(width.max(1)) {
            rten_vecmath::Softmax::new_mut(row).dispatch();
        }
        Ok(())
    }
}

/// In place on `x`: `LayerNorm((x + bias) + residual)` row by row, as `torch.nn.LayerNorm`
/// computes it (mean and biased variance over the row, ε inside the square root); the residual
/// is the op's second input, an empty `bias` none.
struct ResidualNorm<'a>(&'a Norm, &'a [f32]);

impl InplaceOp2 for ResidualNorm<'_> {
    fn name(&self) -> &'static str {
        "residual-layer-norm"
    }

    fn cpu_fwd(
        &self,
        s1: &mut CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> candle_core::Result<()> {
        if l1.shape() != l2.shape() {
            candle_core::bail!("residual of shape {:?} for {:?}", l2.shape(), l1.shape());
        }
        let residual = match (s2, l2.contiguous_offsets()) {
            (CpuStorage::F32(v), Some((start, end))) => &v[start..end],
            _ => candle_core::bail!("residual not a contiguous float32 tensor"),
        };
        let out = data(s1, l1)?;
        let Norm { weight, bias, eps } = self.0;
        let width = weight.len();
        for (row, residual) in out
            .chunks_exact_mut(width)
            .zip(residual.chunks_exact(width))
        {
            if !self.1.is_empty() {
                row.iter_mut().zip(self.1).for_each(|(x, b)| *x += b);
            }
            row.iter_mut().zip(residual).for_each(|(x, r)| *x += r);
            let mean = row.iter().sum::<f32>() / width as f32;
            let variance = row.iter().map(|x| (x - mean) * (x - mean)).sum::<f32>() / width as f32;
            let scale = 1.0 / (variance + eps).sqrt();
            for ((x, w), b) in row.iter_mut().zip(weight).zip(bias) {
                *x = (*x - mean) * scale * w + b;
            }
        }
        Ok(())
    }
}
