# Shared by the detector + ScaleTrack configs on TAO: the frames go through
# the detector, so the public detections are dropped from the test pipeline.
# The detector and ScaleTrack see the same 518 x 518 input (Appendix D).
_base_ = ['./scaletrack_dinov2-s_public-dets_tao.py']
img_scale = (518, 518)
test_pipeline = [
    dict(
        type='TransformBroadcaster',
        transforms=[
            dict(type='LoadImageFromFile'),
            dict(type='Resize', scale=img_scale, keep_ratio=False),
            dict(type='LoadTrackAnnotations'),
        ]),
    dict(type='PackClipInputs'),
]
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
