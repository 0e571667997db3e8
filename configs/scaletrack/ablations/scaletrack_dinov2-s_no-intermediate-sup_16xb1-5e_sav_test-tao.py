# Table 12: 2 decoder layers, only the last one supervised.
_base_ = ['../scaletrack_dinov2-s_16xb1-5e_sav_test-tao.py']
model = dict(track_head=dict(return_layers=[-1]))
