# Table 12: a 1-layer decoder (default 2).
_base_ = ['../scaletrack_dinov2-s_16xb1-5e_sav_test-tao.py']
model = dict(track_head=dict(num_layers=1))
