# Table 7, row "+ spatial attention pooling" (Eq. 4-6): still no cross
# attention (Eq. 9), no temporal fusion (Eq. 7) and no modulation (Eq. 8).
# SYNTHETIC DATA (docs/results.md, tools/experiments/components.py).
_base_ = ['../scaletrack_tiny-r18_1xb1-6e_synthetic.py']
model = dict(
    track_head=dict(
        with_spatial_pool=True,
        with_cross_attn=False,
        with_temporal=False,
        with_modulation=False))
