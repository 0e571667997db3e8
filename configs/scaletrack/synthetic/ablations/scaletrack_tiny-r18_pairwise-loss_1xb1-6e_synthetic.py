# Fig. 1b baseline "Local Pairwise": the synthetic ScaleTrack with QDTrack's
# multi-positive loss between one random key/reference frame pair per clip
# instead of the chain loss (docs/losses.md). Only
# model.track_head.loss_track changes.
# SYNTHETIC DATA (docs/results.md, tools/experiments/scaling.py).
_base_ = ['../scaletrack_tiny-r18_1xb1-6e_synthetic.py']
model = dict(
    track_head=dict(
        loss_track=dict(
            _delete_=True, type='PairwiseContrastiveLoss', temperature=0.1)))
