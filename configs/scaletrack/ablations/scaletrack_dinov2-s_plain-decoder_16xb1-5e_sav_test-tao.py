# Table 7, first row: RoIAlign average + FFN decoder, no spatial pooling,
# temporal fusion, modulation or cross attention.
_base_ = ['../scaletrack_dinov2-s_16xb1-5e_sav_test-tao.py']
model = dict(
    track_head=dict(
        with_spatial_pool=False,
        with_temporal=False,
        with_modulation=False,
        with_cross_attn=False))
