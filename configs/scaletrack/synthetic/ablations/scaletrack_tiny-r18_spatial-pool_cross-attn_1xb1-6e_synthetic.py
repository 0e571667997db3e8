# Table 7, row "+ cross attention" (Eq. 9) on top of spatial attention
# pooling (Eq. 4-6); still no temporal fusion (Eq. 7) and no modulation
# (Eq. 8). The next row, "+ temporal attention", is the full synthetic
# config ../scaletrack_tiny-r18_1xb1-6e_synthetic.py.
# SYNTHETIC DATA (docs/results.md, tools/experiments/components.py).
_base_ = ['../scaletrack_tiny-r18_1xb1-6e_synthetic.py']
model = dict(
    track_head=dict(
        with_spatial_pool=True,
        with_cross_attn=True,
        with_temporal=False,
        with_modulation=False))
