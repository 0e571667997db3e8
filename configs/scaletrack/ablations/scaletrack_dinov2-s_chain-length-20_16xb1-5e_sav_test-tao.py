# Table 5: chain length = clip length N = 20 (default 10).
_base_ = ['../scaletrack_dinov2-s_16xb1-5e_sav_test-tao.py']
train_pipeline = _base_.train_pipeline
assert train_pipeline[0]['type'] == 'ClipFrameSample'
train_pipeline[0]['num_frames'] = 20
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
