# Fig. 1b / Fig. 3: pairwise (QDTrack-style key/reference) contrastive loss.
_base_ = ['../scaletrack_dinov2-s_16xb1-5e_sav_test-tao.py']
model = dict(
    track_head=dict(
        loss_track=dict(
            _delete_=True, type='PairwiseContrastiveLoss', temperature=0.1)))
