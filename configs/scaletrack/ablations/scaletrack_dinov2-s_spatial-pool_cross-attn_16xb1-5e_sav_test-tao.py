# Table 7: + spatial attention pooling and cross attention (Eq. 9), no
# temporal fusion (Eq. 7) or modulation (Eq. 8).
_base_ = ['../scaletrack_dinov2-s_16xb1-5e_sav_test-tao.py']
model = dict(
    track_head=dict(
        with_spatial_pool=True,
        with_temporal=False,
        with_modulation=False,
        with_cross_attn=True))
