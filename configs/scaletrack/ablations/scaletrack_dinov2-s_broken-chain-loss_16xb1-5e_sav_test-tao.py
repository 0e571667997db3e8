# Fig. 3: the chain's pairs drawn as independent, non-consecutive links.
_base_ = ['../scaletrack_dinov2-s_16xb1-5e_sav_test-tao.py']
model = dict(
    track_head=dict(
        loss_track=dict(
            _delete_=True,
            type='BrokenChainContrastiveLoss',
            temperature=0.1,
            min_gap=2)))
