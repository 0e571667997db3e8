# Issue 16, positives vs negatives: the chain's positive pairs (t, t+1)
# against the negatives of the whole clip (every object of another identity
# and every proposal of all frames), i.e. the global loss's negatives. Only
# model.track_head.loss_track changes.
# SYNTHETIC DATA (docs/results.md, tools/experiments/negative_scope.py).
_base_ = ['../scaletrack_tiny-r18_1xb1-6e_synthetic.py']
model = dict(
    track_head=dict(
        loss_track=dict(
            type='ChainContrastiveLoss', temperature=0.1, negatives='clip')))
