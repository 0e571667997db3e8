# Table 13: no pseudo-negative proposals (negatives = other annotated
# objects only); the proposal files are not read.
_base_ = ['../scaletrack_dinov2-s_16xb1-5e_sav_test-tao.py']
model = dict(track_head=dict(max_proposals_per_frame=0))
train_pipeline = _base_.train_pipeline
train_pipeline[1]['transforms'] = [
    t for t in train_pipeline[1]['transforms']
    if t['type'] != 'LoadTrackProposals'
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
