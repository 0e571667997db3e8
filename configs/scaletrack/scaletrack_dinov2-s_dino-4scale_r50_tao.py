# mmdet's stock DETR-style DINO (COCO) + ScaleTrack-S, by inheritance alone.
# Detector weights: --detector-checkpoint (demo) or model.detector.init_cfg.
_base_ = ['./detectors/dino-4scale_r50_coco.py', './_detector_tao_test.py']
model = dict(detector=_base_.detector)
