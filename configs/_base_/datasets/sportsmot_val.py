# SportsMOT validation (paper Tab. 4/18) with the official baseline's YOLOX
# detections (marker †). The annotation file comes from
#   python tools/dataset_converters/mot_to_cocovid.py -i data/sportsmot/val \
#       -o data/sportsmot/annotations/val.json --class-map 1=player
# Detections: SportsMOT ships none (its sequences hold gt/, img1/ and
# seqinfo.ini only). Make them with
#   python tools/misc/dump_detections.py DET_CONFIG DET_CKPT ...
# and point `public_dets` below at its MOTChallenge det.txt files (one per
# sequence, <seq>/det/det.txt under data/sportsmot/val/, read with the
# sequence's seqinfo.ini) or at its TAO-style results JSON
# (`sportsmot_json_dets`, image ids of annotations/val.json).
# Class space: one class, 'player' (label 0).
dataset_type = 'MOTChallengeVideoDataset'
data_root = 'data/sportsmot/'
ann_file = data_root + 'annotations/val.json'
backend_args = None

# Fixed 518 x 518 inference input (Appendix D), hence keep_ratio=False.
img_scale = (518, 518)

_make_dets = ('SportsMOT ships no detections: make them with `python '
              'tools/misc/dump_detections.py DET_CONFIG DET_CKPT ...` (it '
              'writes <seq>/det/det.txt and a TAO-style results JSON; see '
              'docs/evaluation.md, "Protocols").')
sportsmot_det_txt = dict(
    type='MOTDetDetections', root=data_root + 'val/', hint=_make_dets)
sportsmot_json_dets = dict(
    type='TAOResultDetections',
    json_file=data_root + 'public_dets/yolox_val_results.json',
    ann_file=ann_file,
    hint=_make_dets)
public_dets = sportsmot_det_txt

test_pipeline = [
    dict(
        type='TransformBroadcaster',
        transforms=[
            dict(type='LoadImageFromFile', backend_args=backend_args),
            dict(
                type='LoadPublicDetections', num_classes=1,
                source=public_dets),
            dict(type='Resize', scale=img_scale, keep_ratio=False),
            dict(type='LoadTrackAnnotations'),
        ]),
    dict(type='PackClipInputs'),
]

val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='TrackImgSampler'),
    dataset=dict(
        type=dataset_type,
        ann_file=ann_file,
        data_prefix=dict(img_path=data_root + 'val/'),
        test_mode=True,
        pipeline=test_pipeline))
test_dataloader = val_dataloader

# MOTChallenge's ignore rule (distractor classes, consider=0 rows)
val_evaluator = dict(
    type='MOTMetric',
    metric=['HOTA', 'CLEAR', 'Identity'],
    ignore_rule='motchallenge',
    # the original gt.txt rows, as trackeval reads them; player = class 1
    gt_root=data_root + 'val/',
    gt_class_ids=(1, ))
test_evaluator = val_evaluator
