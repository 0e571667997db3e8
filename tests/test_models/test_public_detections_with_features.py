"""PublicDetectionsWithFeatures: public boxes, a real detector's features
(the unified ScaleTrack's same-detections comparison, issue 15)."""
import pytest
import torch
from mmdet.registry import MODELS
from mmdet.structures import DetDataSample
from mmengine.config import Config
from mmengine.structures import InstanceData

from scaletrack.utils import register_all_modules

DET_CFG = ('configs/scaletrack/synthetic/unified/'
           'faster-rcnn_r18-w16_fpn_1xb8-8e_synthetic.py')


def _wrapper():
    register_all_modules()
    det = Config.fromfile(DET_CFG).model
    det.pop('data_preprocessor')
    torch.manual_seed(0)
    return MODELS.build(
        dict(type='PublicDetectionsWithFeatures', detector=det)).eval()


def test_features_are_the_detectors_and_boxes_the_public_ones():
    model = _wrapper()
    assert model.backbone is model.detector.backbone
    img = torch.rand(1, 3, 64, 64)
    with torch.no_grad():
        feats = model.extract_feat(img)
        ref = model.detector.neck(model.detector.backbone(img))
    assert len(feats) == len(ref) == 5  # the FPN's P2-P6
    for a, b in zip(feats, ref):
        assert torch.equal(a, b)
    # predict: the public boxes, scaled to the input (scale_factor 0.5),
    # and the detector does not run
    calls = []
    model.detector.backbone.register_forward_hook(lambda *_: calls.append(1))
    ds = DetDataSample(metainfo=dict(scale_factor=(0.5, 0.5)))
    ds.public_instances = InstanceData(
        bboxes=torch.tensor([[10., 20., 30., 40.]]),
        scores=torch.tensor([0.9]),
        labels=torch.tensor([3]))
    out = model.predict(img, [ds], rescale=False)[0].pred_instances
    assert out.bboxes.tolist() == [[5., 10., 15., 20.]]
    assert out.labels.tolist() == [3] and calls == []


def test_a_detector_without_extract_feat_is_refused():
    register_all_modules()
    with pytest.raises(TypeError, match='no extract_feat'):
        MODELS.build(
            dict(
                type='PublicDetectionsWithFeatures',
                detector=dict(type='PublicDetectionsDetector')))
