# Table 5: chain length 2 (clips of 2 uniformly sampled frames, so
# 2 - 1 chained links) instead of 10. Only ClipFrameSample.num_frames
# changes. SYNTHETIC DATA (docs/results.md, tools/experiments/chain_length.py).
_base_ = ['../scaletrack_tiny-r18_1xb1-6e_synthetic.py']
num_frames = 2
train_pipeline = _base_.train_pipeline
assert train_pipeline[0]['type'] == 'ClipFrameSample'
train_pipeline[0]['num_frames'] = num_frames
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
