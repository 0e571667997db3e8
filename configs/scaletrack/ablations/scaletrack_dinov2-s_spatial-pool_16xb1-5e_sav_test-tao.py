# Table 7: + spatial attention pooling (Eq. 4-6) only.
_base_ = ['../scaletrack_dinov2-s_16xb1-5e_sav_test-tao.py']
model = dict(
    track_head=dict(
        with_spatial_pool=True,
        with_temporal=False,
        with_modulation=False,
        with_cross_attn=False))
