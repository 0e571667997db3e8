# Issue 16, positives vs negatives: the global loss's positives (every
# other frame of the identity) against the chain's negatives only (the
# objects and proposals of the anchor's next frame).
# SYNTHETIC DATA (docs/results.md, tools/experiments/negative_scope.py).
_base_ = ['./scaletrack_tiny-r18_global-infonce-loss_1xb1-6e_synthetic.py']
model = dict(track_head=dict(loss_track=dict(negatives='next_frame')))
