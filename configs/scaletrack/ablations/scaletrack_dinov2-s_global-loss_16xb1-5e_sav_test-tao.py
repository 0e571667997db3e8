# Fig. 3: global SupCon loss over every instance of the whole clip.
_base_ = ['../scaletrack_dinov2-s_16xb1-5e_sav_test-tao.py']
model = dict(
    track_head=dict(
        loss_track=dict(
            _delete_=True,
            type='GlobalContrastiveLoss',
            temperature=0.1,
            mode='supcon')))
