# Table 7, row "adapter + chain contrast": the decoder without spatial
# attention pooling (plain RoIAlign average instead of Eq. 4-6), without
# multi-scale cross attention (Eq. 9) and without temporal fusion (Eq. 7)
# and its modulation (Eq. 8 acts on the fused feature). Backbone, adapter,
# FFNs, chain loss and pseudo-negatives stay.
# SYNTHETIC DATA (docs/results.md, tools/experiments/components.py).
_base_ = ['../scaletrack_tiny-r18_1xb1-6e_synthetic.py']
model = dict(
    track_head=dict(
        with_spatial_pool=False,
        with_cross_attn=False,
        with_temporal=False,
        with_modulation=False))
