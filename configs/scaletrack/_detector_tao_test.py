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
# The stock detectors label COCO's 80 classes: label i is mmdet's COCO class
# i, mapped onto TAO's LVIS categories through their WordNet synsets with
# TAO's own mapping file (TAO-Dataset/tao, data/coco_to_lvis_synset.json;
# put it beside the annotations), as TAO maps COCO detections. A detector
# trained on LVIS instead sets class_list='lvis_v1' and class_synsets=None.
val_dataloader = dict(
    dataset=dict(
        class_list='coco',
        class_synsets='data/tao/annotations/coco_to_lvis_synset.json',
        pipeline=test_pipeline))
test_dataloader = val_dataloader
