# Training the unified variant: the SA-V clip recipe of ScaleTrack-S
# (Appendix A.1: 16 GPUs x 1 clip of 10 frames, LSJ, 5 epochs, AdamW 2e-4,
# see ../scaletrack_dinov2-s_16xb1-5e_sav_test-tao.py) trains the adapter
# and decoder on the frozen Faster R-CNN R50-FPN's P3-P6; the detector is
# never updated (freeze_detector, its features computed without gradients)
# and needs its COCO weights (model.detector.init_cfg). Tested on TAO val
# as ./scaletrack_unified_faster-rcnn_r50_fpn_tao.py.
#   bash tools/dist_train.sh configs/scaletrack/unified/\
#     scaletrack_unified_faster-rcnn_r50_fpn_16xb1-5e_sav_test-tao.py 16 --amp
# The SA-V clips are 518 x 518 LSJ crops (scale range 0.1-2.0) and the test
# input is 1333 x 800; the detector's FPN serves both scales.
_base_ = [
    './scaletrack_unified_faster-rcnn_r50_fpn_tao.py',
    '../../_base_/datasets/sav_train.py',
    '../../_base_/schedules/adamw_5e.py',
]
faster_rcnn_coco = (
    'https://download.openmmlab.com/mmdetection/v2.0/faster_rcnn/'
    'faster_rcnn_r50_fpn_1x_coco/'
    'faster_rcnn_r50_fpn_1x_coco_20200130-047c8118.pth')
model = dict(
    detector=dict(
        init_cfg=dict(type='Pretrained', checkpoint=faster_rcnn_coco)))
