# Table 19: clips of 10 distinct random frames instead of uniformly spaced.
_base_ = ['../scaletrack_dinov2-s_16xb1-5e_sav_test-tao.py']
train_pipeline = _base_.train_pipeline
assert train_pipeline[0]['type'] == 'ClipFrameSample'
train_pipeline[0]['sampling'] = 'random'
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
