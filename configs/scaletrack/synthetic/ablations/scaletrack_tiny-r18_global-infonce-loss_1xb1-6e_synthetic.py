# Issue 16, positives vs negatives: the global loss in InfoNCE form (every
# same-identity pair of the clip a positive, the whole clip's other objects
# and proposals the negatives). The InfoNCE form, not SupCon, so that its
# negative set can be swapped (the next_frame variant) with nothing else
# changed. Only model.track_head.loss_track changes.
# SYNTHETIC DATA (docs/results.md, tools/experiments/negative_scope.py).
_base_ = ['../scaletrack_tiny-r18_1xb1-6e_synthetic.py']
model = dict(
    track_head=dict(
        loss_track=dict(
            _delete_=True,
            type='GlobalContrastiveLoss',
            temperature=0.1,
            mode='infonce',
            negatives='clip')))
