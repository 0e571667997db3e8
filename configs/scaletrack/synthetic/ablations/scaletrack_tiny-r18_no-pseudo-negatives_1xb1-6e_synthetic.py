# Table 13, "w/o pseudo-negative proposals": the proposal files are not
# loaded and the model embeds none (track_head.max_proposals_per_frame=0),
# so the negatives of Eq. 1 are the other annotated objects only.
# SYNTHETIC DATA (docs/results.md, tools/experiments/pseudo_negatives.py).
_base_ = ['../scaletrack_tiny-r18_1xb1-6e_synthetic.py']
model = dict(track_head=dict(max_proposals_per_frame=0))
train_pipeline = _base_.train_pipeline
train_pipeline[1]['transforms'] = [
    t for t in train_pipeline[1]['transforms']
    if t['type'] != 'LoadTrackProposals'
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
