# Table 13: no pseudo-negative proposals (negatives = other annotated
# objects only); the proposal files are not read.
_base_ = ['../scaletrack_dinov2-s_16xb1-5e_sav_test-tao.py']
model = dict(track_head=dict(max_proposals_per_frame=0))
train_pipeline = [
    _base_.train_clip_sample,
    dict(
        _base_.train_clip_transforms,
        transforms=_base_.train_loading + _base_.train_augmentation),
    _base_.train_pack,
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
