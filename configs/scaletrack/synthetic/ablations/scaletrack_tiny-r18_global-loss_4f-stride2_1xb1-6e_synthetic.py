# Issue 16, temporal gap control: the 4-frame stride-2 clips of
# scaletrack_tiny-r18_4f-stride2_1xb1-6e_synthetic.py with the Global
# SupCon loss. SYNTHETIC DATA.
_base_ = ['./scaletrack_tiny-r18_4f-stride2_1xb1-6e_synthetic.py']
model = dict(
    track_head=dict(
        loss_track=dict(
            _delete_=True,
            type='GlobalContrastiveLoss',
            temperature=0.1,
            mode='supcon')))
