"""Online handwriting recogniser: stroke features -> residual BLSTM -> self-attention -> CTC."""

from __future__ import annotations

import keras

from hwsr.layers.focal_ctc_loss import FocalCTCLoss
from hwsr.layers.residual_lstm_stack import ResidualLSTMStack
from hwsr.layers.self_attention_block import SelfAttentionBlock
from hwsr.layers.stroke_features import StrokeFeatures
from hwsr.models.losses import reduce_per_example_loss


@keras.saving.register_keras_serializable(package="hwsr")
class HandwritingRecognitionModel(keras.Model):
    """Reads raw ``[eos, dx, dy]`` pen strokes and emits per-frame character logits for CTC.

    ``StrokeFeatures`` (point dropping and scaling, in the graph) -> ``ResidualLSTMStack``
    (bidirectional, residual, time subsampling) -> ``SelfAttentionBlock`` (masked,
    multi-head) -> dense CTC head over the alphabet, class 0 being the blank.

    Inputs: ``{"strokes": [B, T, 3], "lengths": [B]}`` in raw units. Outputs:
    ``{"logits": [B, T', C], "logit_lengths": [B]}``. The training loss is `FocalCTCLoss`
    (plain CTC with ``focal_gamma=0``), averaged over lines. Training targets come as
    ``{"labels": [B, U], "label_lengths": [B]}``. At inference, ``model(inputs,
    run_rnn=block_bidirectional)`` runs the BLSTMs as fused kernels (`hwsr.layers.block_lstm`,
    3x faster at batch 1; `hwsr.Recognizer` and the SavedModel do).

    Args:
        vocabulary_size: number of alphabet codes (the blank/padding code 0 included).
        offset_scale: ``(sx, sy)`` offset scaling (training-set std).
        downsample: in-graph point dropping factor.
        units, num_layers, subsample_after, dropout, layer_norm: see `ResidualLSTMStack`.
        attention_heads, attention_key_dim: see `SelfAttentionBlock` (0 heads: no attention).
        curvature_features: see `StrokeFeatures`.
        focal_gamma, focal_alpha: see `FocalCTCLoss`.

    Example:

    >>> model = HandwritingRecognitionModel(vocabulary_size=83, offset_scale=(42.0, 37.0), units=16,
    ...                                     num_layers=2, attention_key_dim=8)
    >>> out = model({"strokes": np.zeros((2, 40, 3), "float32"), "lengths": np.array([40, 25])})
    >>> out["logits"].shape[-1], np.asarray(out["logit_lengths"]).tolist()  # 40 -> 21 points -> 11 frames
    (83, [11, 7])
    """

    def __init__(
        self,
        vocabulary_size: int,
        offset_scale=(1.0, 1.0),
        downsample: int = 2,
        units: int = 128,
        num_layers: int = 3,
        subsample_after=(0,),
        dropout: float = 0.1,
        layer_norm: bool = True,
        attention_heads: int = 2,
        attention_key_dim: int = 32,
        curvature_features: bool = False,
        focal_gamma: float = 0.0,
        focal_alpha: float = 1.0,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.vocabulary_size = int(vocabulary_size)
        self.offset_scale = tuple(float(s) for s in offset_scale)
        self.downsample = int(downsample)
        self.units = int(units)
        self.num_layers = int(num_layers)
        self.subsample_after = tuple(int(i) for i in subsample_after)
        self.dropout = float(dropout)
        self.layer_norm = bool(layer_norm)
        self.attention_heads = int(attention_heads)
        self.attention_key_dim = int(attention_key_dim)
        self.curvature_features = bool(curvature_features)
        self.focal_gamma = float(focal_gamma)
        self.focal_alpha = float(focal_alpha)
        self.features = StrokeFeatures(self.downsample, self.offset_scale, self.curvature_features,
                                       name="features")
        self.encoder = ResidualLSTMStack(self.units, self.num_layers, self.subsample_after,
                                         self.dropout, self.layer_norm, name="encoder")
        self.attention = (
            SelfAttentionBlock(self.attention_heads, self.attention_key_dim, self.dropout,
                               name="self_attention")
            if self.attention_heads > 0
            else None
        )
        self.classifier = keras.layers.Dense(self.vocabulary_size, name="ctc_logits")
        self.ctc_loss = FocalCTCLoss(self.focal_gamma, self.focal_alpha)

    def build(self, input_shape=None):
        self.encoder.build((None, None, self.features.num_features))
        if self.attention is not None:
            self.attention.build((None, None, 2 * self.units))
        self.classifier.build((None, None, 2 * self.units))
        self.built = True

    def call(self, inputs, training=False, run_rnn=None):
        """``run_rnn``: see `ResidualLSTMStack` (at inference, e.g.
        `hwsr.layers.block_lstm.block_bidirectional`, the fused kernels)."""
        features, lengths = self.features(inputs["strokes"], inputs["lengths"])
        h, lengths = self.encoder(features, lengths, training=training, run_rnn=run_rnn)
        if self.attention is not None:
            h = self.attention(h, lengths, training=training)
        return {"logits": self.classifier(h), "logit_lengths": lengths}

    def per_line_loss(self, y, y_pred):
        return self.ctc_loss.call(y, y_pred)

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        return reduce_per_example_loss(self.per_line_loss(y, y_pred), self.losses)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "vocabulary_size": self.vocabulary_size,
                "offset_scale": list(self.offset_scale),
                "downsample": self.downsample,
                "units": self.units,
                "num_layers": self.num_layers,
                "subsample_after": list(self.subsample_after),
                "dropout": self.dropout,
                "layer_norm": self.layer_norm,
                "attention_heads": self.attention_heads,
                "attention_key_dim": self.attention_key_dim,
                "curvature_features": self.curvature_features,
                "focal_gamma": self.focal_gamma,
                "focal_alpha": self.focal_alpha,
            }
        )
        return config
