# mmdet's stock two-stage Faster R-CNN (COCO) + ScaleTrack-S, by inheritance alone.
# Detector weights: --detector-checkpoint (demo) or model.detector.init_cfg.
_base_ = ['./detectors/faster-rcnn_r50_fpn_coco.py', './_detector_tao_test.py']
model = dict(detector=_base_.detector)
