# mmdet's stock one-stage RetinaNet (COCO) + ScaleTrack-S, by inheritance alone.
# Detector weights: --detector-checkpoint (demo) or model.detector.init_cfg.
_base_ = ['./detectors/retinanet_r50_fpn_coco.py', './_detector_tao_test.py']
model = dict(detector=_base_.detector)
