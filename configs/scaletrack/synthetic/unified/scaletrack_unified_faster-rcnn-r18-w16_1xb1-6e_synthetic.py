# The unified ScaleTrack (issue 15, paper App. D / Table 20) on the
# synthetic benchmark: the tiny ScaleTrack of ../scaletrack_tiny-r18_1xb1-
# 6e_synthetic.py without a backbone of its own; its adapter reads the
# stages C3-C5 of the frozen synthetic Faster R-CNN
# (./faster-rcnn_r18-w16_fpn_1xb8-8e_synthetic.py, a ResNet-18 of base
# width 16: the same shapes as the two-backbone model's backbone, so the
# adapter and head are identical and only the backbone differs: trained
# for detection and frozen vs trained for association). Everything else
# (recipe, seeds, evaluation) is the two-backbone config's.
#
# Same detections: the boxes are the benchmark's PUBLIC detections, as for
# the two-backbone model (PublicDetectionsWithFeatures); the detector only
# provides features here. SYNTHETIC DATA, SMALL MODELS FROM SCRATCH.
#   SCALETRACK_SYNTH_ROOT=... SCALETRACK_UNIFIED_DET_CKPT=DETECTOR.pth \
#       python tools/train.py THIS
_base_ = ['../scaletrack_tiny-r18_1xb1-6e_synthetic.py']
import mmengine.config as _mmengine_config  # noqa: E402

det_ckpt = '{{$SCALETRACK_UNIFIED_DET_CKPT:work_dirs/synthetic_det.pth}}'
detector = _mmengine_config.Config.fromfile(
    '{{fileDirname}}/faster-rcnn_r18-w16_fpn_1xb8-8e_synthetic.py').model
detector.pop('data_preprocessor')  # the MOT model's (same statistics)
detector.update(
    _scope_='mmdet', init_cfg=dict(type='Pretrained', checkpoint=det_ckpt))
model = dict(
    backbone=None,
    feature_source='detector_backbone',
    feature_levels=(1, 2, 3),  # C3-C5: strides 8, 16, 32 as the base's
    detector=dict(type='PublicDetectionsWithFeatures', detector=detector))
