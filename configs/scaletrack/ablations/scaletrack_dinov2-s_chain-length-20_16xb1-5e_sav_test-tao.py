# Table 5: chain length = clip length N = 20 (default 10).
_base_ = ['../scaletrack_dinov2-s_16xb1-5e_sav_test-tao.py']
train_clip_sample = dict(_base_.train_clip_sample, num_frames=20)
train_pipeline = [
    train_clip_sample, _base_.train_clip_transforms, _base_.train_pack
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
