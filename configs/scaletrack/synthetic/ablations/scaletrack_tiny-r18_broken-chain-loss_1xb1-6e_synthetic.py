# Fig. 3 baseline "Broken Chain": the chain loss's Eq. 1 terms on the same
# number of frame pairs, but on isolated, non-consecutive pairs so that no
# transitive link exists (min_gap=2, docs/losses.md). Only
# model.track_head.loss_track changes.
# SYNTHETIC DATA (docs/results.md, tools/experiments/scaling.py).
_base_ = ['../scaletrack_tiny-r18_1xb1-6e_synthetic.py']
model = dict(
    track_head=dict(
        loss_track=dict(
            _delete_=True,
            type='BrokenChainContrastiveLoss',
            temperature=0.1,
            min_gap=2)))
