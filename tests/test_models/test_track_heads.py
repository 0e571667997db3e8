"""ScaleTrackEmbedHead and its parts (Sec. 3.4.2, Eq. 4-9).

The gather-based sampling, RoIAlign and cross attention are checked against
independent references (``F.grid_sample``, ``mmcv.ops.roi_align``, mmcv's
``MultiScaleDeformableAttention.forward``); the temporal fusion against a
direct "project the whole buffer, then grid_sample" computation.
"""
import math

import pytest
import torch
import torch.nn.functional as F
from mmcv.ops import MultiScaleDeformableAttention, roi_align

from scaletrack.models.layers import (BoxDeformableCrossAttention,
                                      FlatFeatureMap, roi_align_cells)
from scaletrack.models.track_heads import (ScaleTrackEmbedHead,
                                           SpatialAttentionPooling,
                                           TemporalDeformableFusion)

D = 32  # tiny embedding width for speed; the default is 256
STRIDE = 14.0


def make_rois(gen, num, size_hw, batch=1):
    """Random valid boxes inside an image of ``size_hw`` pixels."""
    h, w = size_hw
    xy = torch.rand(num, 2, generator=gen) * torch.tensor([w, h]) * 0.7
    wh = (torch.rand(num, 2, generator=gen) * 0.25 + 0.05) * torch.tensor(
        [w, h])
    inds = torch.randint(0, batch, (num, 1), generator=gen).float()
    return torch.cat([inds, xy, xy + wh], 1)


def tiny_head(**kwargs):
    cfg = dict(
        featmap_strides=(14, 14),
        embed_dims=D,
        out_channels=16,
        num_heads=4,
        num_points=2,
        feedforward_channels=64,
        dropout=0.0)
    cfg.update(kwargs)
    return ScaleTrackEmbedHead(**cfg)


def level_maps(gen, batch=2, shapes=((6, 7), (6, 7))):
    return tuple(torch.randn(batch, D, h, w, generator=gen) for h, w in shapes)


# ---------------------------------------------------------------- sampling
def test_flat_sampling_matches_grid_sample_2d_and_3d():
    gen = torch.Generator().manual_seed(0)
    maps2 = torch.randn(2, 5, 4, 6, generator=gen)
    maps3 = torch.randn(2, 5, 3, 4, 6, generator=gen)
    n, m = 7, 9
    batch_inds = torch.tensor([0, 1, 1, 0, 1, 0, 0])
    # points inside, on the border and far outside the maps
    grid2 = torch.rand(n, m, 2, generator=gen) * 3.0 - 1.5
    grid3 = torch.rand(n, m, 3, generator=gen) * 3.0 - 1.5
    for maps, grid in ((maps2, grid2), (maps3, grid3)):
        ref = []
        for i in range(n):
            g = grid[i][None, None] if maps.dim() == 4 else \
                grid[i][None, None, None]
            s = F.grid_sample(
                maps[batch_inds[i]][None],
                g,
                align_corners=False,
                padding_mode='zeros')
            ref.append(s.reshape(maps.shape[1], m).t())
        ref = torch.stack(ref)  # [n, m, C]
        ones = F.grid_sample(
            torch.ones_like(maps[:1, :1]).expand(n, -1, *maps.shape[2:]),
            grid[:, None] if maps.dim() == 4 else grid[:, None, None],
            align_corners=False).reshape(n, m)
        flat = FlatFeatureMap(maps)
        sizes = torch.tensor(flat.sizes, dtype=torch.float)
        coords = (grid + 1) * sizes / 2 - 0.5  # grid -> continuous index
        out, inside = flat.sample(coords[:, :, None], batch_inds)
        assert torch.allclose(out, ref, atol=1e-5)
        assert torch.allclose(inside, ones, atol=1e-5)
        # weighted sums over groups of points
        w = torch.rand(n, 3, 3, generator=gen)
        out_w, _ = flat.sample(coords.view(n, 3, 3, -1), batch_inds, w)
        ref_w = (ref.view(n, 3, 3, -1) * w[..., None]).sum(2)
        assert torch.allclose(out_w, ref_w, atol=1e-5)


def test_roi_align_cells_matches_mmcv_roi_align():
    gen = torch.Generator().manual_seed(1)
    maps = torch.randn(2, 6, 5, 7, generator=gen)
    rois = make_rois(gen, 12, (5 * 14, 7 * 14), batch=2)
    # boxes reaching over the map borders exercise mmcv's clamping rule
    rois = torch.cat([
        rois,
        torch.tensor([[0., -20., -10., 30., 40.], [1., 61., 40., 123., 95.],
                      [1., -13., 2., 3., 80.]])
    ])
    for ratio in (1, 2):
        ref = roi_align(maps, rois, (3, 3), 1 / STRIDE, ratio, 'avg', True)
        cells = roi_align_cells(
            FlatFeatureMap(maps), rois, rois[:, 0].long(), STRIDE, 3, ratio)
        assert torch.allclose(
            cells.transpose(1, 2).reshape_as(ref), ref, atol=1e-5)


# ----------------------------------------------------- Eq. 4-6 (pooling)
def test_spatial_sampling_locations_stay_inside_each_roi():
    gen = torch.Generator().manual_seed(2)
    pool = SpatialAttentionPooling(D, num_points=9, roi_size=4)
    # huge offsets: tanh saturates, the points must still stay in the box
    with torch.no_grad():
        for p in pool.offset_head.parameters():
            p.normal_(0, 50.0, generator=gen)
    maps = torch.randn(2, D, 6, 7, generator=gen)
    rois = make_rois(gen, 20, (84, 98), batch=2)
    _, loc = pool(FlatFeatureMap(maps), rois, rois[:, 0].long(), STRIDE)
    x1, y1, x2, y2 = (rois[:, None, i] for i in range(1, 5))
    assert ((loc[..., 0] >= x1) & (loc[..., 0] <= x2)).all()
    assert ((loc[..., 1] >= y1) & (loc[..., 1] <= y2)).all()
    # and they do move away from the initial 3x3 layout
    assert (loc[..., 0] - (x1 + x2) / 2).abs().max() > 0


def test_spatial_pooling_initial_layout_and_attention_pooling():
    """At init the K points sit on the 3x3 grid at half the box extent, and
    with a constant attention MLP Eq. 5 is the plain RoIAlign mean."""
    gen = torch.Generator().manual_seed(3)
    pool = SpatialAttentionPooling(D, num_points=9, roi_size=3)
    maps = torch.randn(1, D, 6, 7, generator=gen)
    rois = torch.tensor([[0., 14., 28., 56., 70.]])
    flat = FlatFeatureMap(maps)
    cells = roi_align_cells(flat, rois, rois[:, 0].long(), STRIDE, 3, 2)
    loc = pool.predict_locations(cells, rois)
    xs = sorted({round(v, 4) for v in loc[0, :, 0].tolist()})
    ys = sorted({round(v, 4) for v in loc[0, :, 1].tolist()})
    assert xs == pytest.approx([24.5, 35.0, 45.5])  # 35 +- 0.5 * 21
    assert ys == pytest.approx([38.5, 49.0, 59.5])
    with torch.no_grad():  # constant scores -> uniform spatial softmax
        pool.attn_mlp[-1].weight.zero_()
        pool.fuse.weight.zero_()
        pool.fuse.weight[:, :D] = torch.eye(D)
        pool.norm.weight.fill_(1.0)
    out, _ = pool(flat, rois, rois[:, 0].long(), STRIDE)
    expected = F.layer_norm(cells.mean(1), (D, ))
    assert torch.allclose(out, expected, atol=1e-5)


# ------------------------------------------------------ Eq. 7 (temporal)
def test_temporal_fusion_matches_direct_deformable_attention():
    """Project-after-sampling equals value-projecting the whole buffer and
    trilinearly sampling it per head (grid_sample on 5D input)."""
    gen = torch.Generator().manual_seed(4)
    heads, points, frames = 4, 3, 4
    fusion = TemporalDeformableFusion(D, heads, points, spatial_range=3.0)
    with torch.no_grad():
        fusion.sampling_offsets.weight.normal_(0, 0.5, generator=gen)
        fusion.attention_weights.weight.normal_(0, 0.5, generator=gen)
        fusion.value_proj.bias.normal_(0, 1.0, generator=gen)
    buf = torch.randn(2, D, frames, 5, 6, generator=gen)
    rois = make_rois(gen, 9, (70, 84), batch=2)
    rois[0, 1:] = torch.tensor([0., 0., 30., 20.])  # points leave the map
    query = torch.randn(9, D, generator=gen)
    out = fusion(query, rois, rois[:, 0].long(), FlatFeatureMap(buf), STRIDE)

    t, xy = fusion.predict_locations(query, rois, frames)
    weights = fusion.attention_weights(query).view(9, heads,
                                                   points).softmax(-1)
    value = fusion.value_proj(buf.movedim(1, -1)).movedim(-1, 1)
    value = value.view(2, heads, D // heads, frames, 5, 6)
    gx = xy[..., 0] * 2 / (STRIDE * 6) - 1
    gy = xy[..., 1] * 2 / (STRIDE * 5) - 1
    gt = (2 * t + 1) / frames - 1
    grid = torch.stack([gx, gy, gt], -1)  # [N, H, P, 3]
    ref = []
    for i in range(9):
        b = int(rois[i, 0])
        per_head = []
        for h in range(heads):
            s = F.grid_sample(
                value[b, h][None],
                grid[i, h][None, None, None],
                align_corners=False).reshape(D // heads, points)
            per_head.append((s * weights[i, h]).sum(-1))
        ref.append(torch.cat(per_head))
    ref = fusion.output_proj(torch.stack(ref))
    assert torch.allclose(out, ref, atol=1e-5)


def test_temporal_points_only_reach_past_and_current_frames():
    gen = torch.Generator().manual_seed(5)
    fusion = TemporalDeformableFusion(D, 4, 4)
    with torch.no_grad():
        fusion.sampling_offsets.weight.normal_(0, 30.0, generator=gen)
    query = torch.randn(50, D, generator=gen)
    rois = make_rois(gen, 50, (70, 84))
    for frames in (1, 3, 6):
        t, _ = fusion.predict_locations(query, rois, frames)
        assert t.min() >= 0 and t.max() <= frames - 1
        if frames > 1:  # saturated offsets reach both ends of the window
            assert t.min() < 0.05 and t.max() > frames - 1.05


# ----------------------------------------------------- Eq. 9 (cross att.)
def test_box_cross_attention_matches_mmcv_deformable_attention():
    gen = torch.Generator().manual_seed(6)
    shapes = ((6, 7), (3, 4))
    attn = BoxDeformableCrossAttention(
        D, num_heads=4, num_levels=2, num_points=3).eval()
    with torch.no_grad():
        attn.sampling_offsets.weight.normal_(0, 0.3, generator=gen)
        attn.attention_weights.weight.normal_(0, 0.3, generator=gen)
        attn.value_proj.bias.normal_(0, 1.0, generator=gen)
    feats = level_maps(gen, batch=2, shapes=shapes)
    rois = make_rois(gen, 10, (84, 98), batch=2)
    query = torch.randn(10, D, generator=gen)
    memory = FlatFeatureMap(feats)
    out = attn(query, rois, rois[:, 0].long(), memory, (14, 28))

    ref = attn.box_reference_points(rois, memory, (14, 28))
    # issue 14: built on mmcv, not derived from it; mmcv's own module with
    # the same (strictly loaded) parameters is the reference
    mmcv_attn = MultiScaleDeformableAttention(
        D, num_heads=4, num_levels=2, num_points=3, batch_first=True).eval()
    mmcv_attn.load_state_dict(attn.state_dict())
    spatial = torch.tensor(shapes)
    start = torch.tensor([0, 42])
    for b in range(2):
        sel = rois[:, 0] == b
        memory = torch.cat(
            [f[b:b + 1].flatten(2).transpose(1, 2) for f in feats], 1)
        expected = mmcv_attn(
            query[sel][None],
            value=memory,
            identity=torch.zeros_like(query[sel][None]),
            reference_points=ref[sel][None],
            spatial_shapes=spatial,
            level_start_index=start)[0]
        assert torch.allclose(out[sel], expected, atol=1e-5)


def test_box_reference_points_are_box_centres_and_sizes():
    feats = (torch.zeros(1, D, 4, 5), torch.zeros(1, D, 2, 3))
    rois = torch.tensor([[0., 14., 7., 42., 35.]])
    ref = BoxDeformableCrossAttention.box_reference_points(
        rois, FlatFeatureMap(feats), (14, 28))
    # level 0 covers 70 x 56 pixels, level 1 84 x 56
    assert torch.allclose(ref[0, 0],
                          torch.tensor([28 / 70, 21 / 56, 28 / 70, 28 / 56]))
    assert torch.allclose(ref[0, 1],
                          torch.tensor([28 / 84, 21 / 56, 28 / 84, 28 / 56]))


# ------------------------------------------------------------ whole head
def test_head_outputs_unit_norm_per_layer_and_deterministic():
    gen = torch.Generator().manual_seed(7)
    head = tiny_head(num_layers=3).eval()
    feats = level_maps(gen)
    rois = make_rois(gen, 6, (84, 98), batch=2)
    out = head(feats, rois)
    assert len(out) == 3 and all(o.shape == (6, 16) for o in out)
    for o in out:
        assert torch.allclose(o.norm(dim=1), torch.ones(6), atol=1e-5)
    again = head(feats, rois)
    assert all(torch.equal(a, b) for a, b in zip(out, again))
    # the embedding depends on the box
    moved = rois.clone()
    moved[:, 1:] += 5.0
    assert not torch.allclose(head(feats, moved)[-1], out[-1])


def test_head_embedding_of_a_box_ignores_other_boxes_and_images():
    gen = torch.Generator().manual_seed(8)
    head = tiny_head().eval()
    feats = level_maps(gen)
    rois = make_rois(gen, 8, (84, 98), batch=2)
    full = head(feats, rois)[-1]
    sub = head(feats, rois[:3])[-1]
    assert torch.allclose(full[:3], sub, atol=1e-6)
    # changing image 1 leaves the boxes of image 0 untouched
    other = tuple(f.clone() for f in feats)
    for f in other:
        f[1] += 1.0
    changed = head(other, rois)[-1]
    in0 = rois[:, 0] == 0
    assert torch.allclose(changed[in0], full[in0], atol=1e-6)
    assert not torch.allclose(changed[~in0], full[~in0])


def test_future_frames_never_change_an_earlier_frame_embedding():
    """A clip processed as one batch with causal windows (current frame
    last, the first frame repeated before the clip starts)."""
    gen = torch.Generator().manual_seed(9)
    head = tiny_head(temporal_window=3).eval()
    clip_len, window = 5, head.temporal_window
    feats = level_maps(gen, batch=clip_len)

    def windows(last):
        idx = (torch.arange(clip_len)[:, None] + torch.arange(window) -
               (window - 1)).clamp(min=0)
        return last[idx].permute(0, 2, 1, 3, 4)

    rois = torch.cat([make_rois(gen, 3, (84, 98)) for _ in range(clip_len)])
    rois[:, 0] = torch.arange(clip_len).repeat_interleave(3).float()
    base = head(feats, rois, windows(feats[-1]))[-1]
    t = 2
    changed = tuple(f.clone() for f in feats)
    for f in changed:
        f[t + 1:] = torch.randn(f[t + 1:].shape, generator=gen)
    after = head(changed, rois, windows(changed[-1]))[-1]
    past = rois[:, 0] <= t
    assert torch.allclose(after[past], base[past], atol=1e-6)
    assert not torch.allclose(after[~past], base[~past])
    # a buffer truncated at t gives frame t the same embedding
    sel = rois[:, 0] == t
    alone = head(
        tuple(f[t:t + 1] for f in feats),
        torch.cat([torch.zeros(3, 1), rois[sel, 1:]], 1),
        windows(feats[-1])[t:t + 1])[-1]
    assert torch.allclose(alone, base[sel], atol=1e-6)
    # ... and the past frames in the window do matter
    older = windows(feats[-1])[t:t + 1].clone()
    older[:, :, 0] += 3.0
    other = head(
        tuple(f[t:t + 1] for f in feats),
        torch.cat([torch.zeros(3, 1), rois[sel, 1:]], 1), older)[-1]
    assert not torch.allclose(other, alone)


def test_head_without_buffer_uses_the_current_map():
    gen = torch.Generator().manual_seed(10)
    head = tiny_head().eval()
    feats = level_maps(gen)
    rois = make_rois(gen, 4, (84, 98), batch=2)
    a = head(feats, rois)[-1]
    b = head(feats, rois, feats[-1].unsqueeze(2))[-1]
    c = head(feats, rois, feats[-1].unsqueeze(2).repeat(1, 1, 4, 1, 1))[-1]
    assert torch.allclose(a, b, atol=1e-6)
    # a window of copies of the current frame samples the same vectors
    assert torch.allclose(a, c, atol=1e-5)


def test_gradients_reach_every_head_parameter():
    gen = torch.Generator().manual_seed(11)
    head = tiny_head().train()
    feats = tuple(f.requires_grad_() for f in level_maps(gen))
    rois = make_rois(gen, 6, (84, 98), batch=2)
    temporal = torch.randn(2, D, 3, 6, 7, generator=gen, requires_grad=True)
    out = head(feats, rois, temporal)
    sum((o * torch.randn(o.shape, generator=gen)).sum() for o in out) \
        .backward()
    missing = [n for n, p in head.named_parameters() if p.grad is None]
    assert not missing
    assert all(f.grad.abs().sum() > 0 for f in feats)
    assert temporal.grad.abs().sum() > 0


def _params(module, key):
    return {n: p.numel() for n, p in module.named_parameters() if key in n}


def test_disabling_components_removes_their_parameters():
    full = tiny_head()
    names = dict((n, p.numel()) for n, p in full.named_parameters())
    total = sum(names.values())
    h, p, levels = 4, 2, 2
    # Eq. 7 per layer: offsets (D->H*P*3), weights (D->H*P), value, output
    # projections (D->D) and the LayerNorm after it
    temporal = (D * h * p * 3 + h * p * 3) + (D * h * p + h * p) + \
        2 * (D * D + D) + 2 * D
    # Eq. 9 per layer: mmcv sizes (offsets D->H*L*P*2, weights D->H*L*P)
    cross = (D * h * levels * p * 2 + h * levels * p * 2) + \
        (D * h * levels * p + h * levels * p) + 2 * (D * D + D) + 2 * D
    modulation = D * h * D + h * D  # Eq. 8: N_h gates D -> D
    for switch, key, per_layer in (('with_temporal', 'temporal', temporal),
                                   ('with_cross_attn', 'cross',
                                    cross), ('with_modulation', 'modulation',
                                             modulation)):
        assert sum(_params(full, key).values()) == 2 * per_layer
        off = tiny_head(**{switch: False})
        assert not _params(off, key)
        assert sum(p.numel() for p in off.parameters()) == \
            total - 2 * per_layer
    no_pool = tiny_head(with_spatial_pool=False)
    assert not _params(no_pool, 'spatial_pool')
    assert sum(p.numel() for p in no_pool.parameters()) == \
        total - sum(_params(full, 'spatial_pool').values())
    last_only = tiny_head(return_layers=[-1])
    assert not _params(last_only, 'layers.0.output_proj')
    assert sum(p.numel() for p in last_only.parameters()) == \
        total - (D * 16 + 16)
    one_layer = tiny_head(num_layers=1)
    assert not [
        n for n, _ in one_layer.named_parameters() if n.startswith('layers.1.')
    ]
    assert len(one_layer.layers) == 1
    # the ablated heads still run
    gen = torch.Generator().manual_seed(12)
    feats = level_maps(gen)
    rois = make_rois(gen, 3, (84, 98), batch=2)
    for kw in (dict(with_temporal=False), dict(with_cross_attn=False),
               dict(with_spatial_pool=False), dict(with_modulation=False),
               dict(return_layers=[-1])):
        out = tiny_head(**kw).eval()(feats, rois)
        assert len(out) == (1 if 'return_layers' in kw else 2)
        assert torch.allclose(out[-1].norm(dim=1), torch.ones(3), atol=1e-5)


def test_head_handles_no_boxes_and_rejects_bad_inputs():
    gen = torch.Generator().manual_seed(13)
    head = tiny_head().eval()
    feats = level_maps(gen)
    out = head(feats, torch.zeros(0, 5))
    assert [o.shape for o in out] == [(0, 16), (0, 16)]
    rois = make_rois(gen, 2, (84, 98))
    with pytest.raises(ValueError, match='featmap_strides'):
        head(feats[:1], rois)
    with pytest.raises(ValueError, match='temporal_feats'):
        head(feats, rois, torch.zeros(2, D, 3, 5, 5))
    with pytest.raises(ValueError, match='batch indices'):
        head(feats, torch.tensor([[3., 0., 0., 10., 10.]]))
    with pytest.raises(ValueError, match=r'\[N, 5\]'):
        head(feats, torch.zeros(2, 4))
    with pytest.raises(ValueError, match='last layer'):
        tiny_head(return_layers=[0])


def test_initial_sampling_layouts():
    """Deformable inits: temporal points spread over the window, spatial
    directions one per head (2 pi h / H)."""
    fusion = TemporalDeformableFusion(
        D, num_heads=4, num_points=2, spatial_range=2.0)
    query = torch.zeros(1, D)
    rois = torch.tensor([[0., 0., 0., 40., 20.]])
    t, xy = fusion.predict_locations(query, rois, num_frames=5)
    # u = (p + 0.5) / P into the past: frames 4 * (1 - 0.25), 4 * (1 - 0.75)
    assert torch.allclose(t[0, 0], torch.tensor([3.0, 1.0]), atol=1e-5)
    # head 1 looks along +y (angle pi/2), reach (p+1)/(P+1) * 2 * half box
    expected = torch.tensor([[20., 10. + 2 * 10 / 3], [20., 10. + 4 * 10 / 3]])
    assert torch.allclose(xy[0, 1], expected, atol=1e-4)
    assert math.isclose(float(xy[0, 0, 1, 0]), 20 + 4 * 20 / 3, rel_tol=1e-5)
