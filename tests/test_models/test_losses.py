"""Tests of the contrastive losses (Eq. 1-2, baselines) and the
pseudo-negative filter (Appendix D).

Every loss value is checked against an independent evaluation written here
with explicit Python loops and ``math.exp`` / ``math.log`` on plain lists.
"""
import itertools
import math
import random

import pytest
import torch
from mmdet.registry import MODELS

from scaletrack.models.losses import (BrokenChainContrastiveLoss,
                                      ChainContrastiveLoss,
                                      GlobalContrastiveLoss,
                                      PairwiseContrastiveLoss,
                                      multi_layer_loss)
from scaletrack.models.utils import filter_pseudo_negatives

TAU = 0.1
DIM = 8


# --------------------------------------------------------------------------
# data helpers
def unit_rows(num, gen, dim=DIM):
    """``num`` random L2-normalised float64 rows."""
    x = torch.randn(num, dim, generator=gen, dtype=torch.float64)
    return x / x.norm(dim=1, keepdim=True)


def make_clip(ids_per_frame, props_per_frame, seed=0, dim=DIM):
    gen = torch.Generator().manual_seed(seed)
    embeds = [
        unit_rows(len(ids), gen, dim).requires_grad_() for ids in ids_per_frame
    ]
    ids = [torch.tensor(i, dtype=torch.long) for i in ids_per_frame]
    props = [unit_rows(m, gen, dim) for m in props_per_frame]
    return embeds, ids, props


def as_lists(tensors):
    return [t.detach().tolist() for t in tensors]


# --------------------------------------------------------------------------
# independent references (loops + math)
def dot(u, v):
    return sum(a * b for a, b in zip(u, v))


def ref_nt_xent(anchor, positive, other_objects, proposals, tau=TAU):
    """Eq. 1 literally."""
    pos = math.exp(dot(anchor, positive) / tau)
    den = sum(math.exp(dot(anchor, k) / tau) for k in other_objects) + \
        sum(math.exp(dot(anchor, p) / tau) for p in proposals) + pos
    return -math.log(pos / den)


def ref_pair_terms(E, ids, P, frame_pairs, tau=TAU):
    """Eq. 1 for every positive pair (i, j) of every (anchor, target) frame
    pair; returns the list of terms."""
    terms = []
    for a, b in frame_pairs:
        for i in range(len(E[a])):
            for j in range(len(E[b])):
                if ids[a][i] >= 0 and ids[a][i] == ids[b][j]:
                    others = [E[b][k] for k in range(len(E[b])) if k != j]
                    terms.append(
                        ref_nt_xent(E[a][i], E[b][j], others, P[b], tau))
    return terms


def ref_chain(E, ids, P, tau=TAU, symmetric=False):
    """Eq. 2: mean of Eq. 1 over the consecutive links (t, t+1)."""
    links = [(t, t + 1) for t in range(len(E) - 1)]
    if symmetric:
        links += [(t + 1, t) for t in range(len(E) - 1)]
    terms = ref_pair_terms(E, ids, P, links, tau)
    return sum(terms) / len(terms) if terms else 0.0


def ref_qdtrack(E, ids, P, key, ref, tau=TAU):
    """QDTrack L_embed: mean over key anchors of
    log(1 + sum_{k+} sum_{k-} exp((v.k- - v.k+)/tau))."""
    losses = []
    for i, v in enumerate(E[key]):
        if ids[key][i] < 0:
            continue
        pos = [
            E[ref][j] for j in range(len(E[ref])) if ids[ref][j] == ids[key][i]
        ]
        if not pos:
            continue
        neg = [
            E[ref][j] for j in range(len(E[ref])) if ids[ref][j] != ids[key][i]
        ] + list(P[ref])
        s = 0.0
        for kp in pos:
            for kn in neg:
                s += math.exp((dot(v, kn) - dot(v, kp)) / tau)
        losses.append(math.log(1 + s))
    return sum(losses) / len(losses) if losses else 0.0


def flatten_clip(E, ids, P):
    objs = [(t, i, E[t][i], ids[t][i]) for t in range(len(E))
            for i in range(len(E[t]))]
    props = [p for frame in P for p in frame]
    return objs, props


def ref_supcon(E, ids, P, tau=TAU):
    """SupCon L_out (Khosla et al. 2020, Eq. 2), mean over anchors."""
    objs, props = flatten_clip(E, ids, P)
    losses = []
    for n, (t, _, z, idn) in enumerate(objs):
        if idn < 0:
            continue
        positives = [
            o[2] for m, o in enumerate(objs)
            if m != n and o[3] == idn and o[0] != t
        ]
        if not positives:
            continue
        others = [o[2] for m, o in enumerate(objs) if m != n] + props
        den = sum(math.exp(dot(z, a) / tau) for a in others)
        losses.append(
            -sum(math.log(math.exp(dot(z, p) / tau) / den)
                 for p in positives) / len(positives))
    return sum(losses) / len(losses) if losses else 0.0


def ref_infonce(E, ids, P, tau=TAU):
    """One InfoNCE term per ordered positive pair, negatives only."""
    objs, props = flatten_clip(E, ids, P)
    losses = []
    for n, (t, _, z, idn) in enumerate(objs):
        if idn < 0:
            continue
        negatives = [
            o[2] for m, o in enumerate(objs) if m != n and o[3] != idn
        ] + props
        for m, o in enumerate(objs):
            if m != n and o[3] == idn and o[0] != t:
                pos = math.exp(dot(z, o[2]) / tau)
                den = pos + sum(math.exp(dot(z, k) / tau) for k in negatives)
                losses.append(-math.log(pos / den))
    return sum(losses) / len(losses) if losses else 0.0


# a 4-frame clip with an identity leaving and coming back, a box without
# identity (-1), proposals in some frames and none in others
CLIP_IDS = [[3, 5, 9], [5, 3, -1, 12], [12, 9, 3], [3, 12]]
CLIP_PROPS = [2, 3, 0, 4]


# --------------------------------------------------------------------------
# ChainContrastiveLoss
@pytest.mark.parametrize('symmetric', [False, True])
def test_chain_equals_eq1_eq2(symmetric):
    embeds, ids, props = make_clip(CLIP_IDS, CLIP_PROPS)
    loss = ChainContrastiveLoss(symmetric=symmetric)(embeds, ids, props)
    expected = ref_chain(
        as_lists(embeds), CLIP_IDS, as_lists(props), symmetric=symmetric)
    assert loss.item() == pytest.approx(expected, abs=1e-6)
    assert loss.item() > 0


def test_chain_loss_weight_temperature_and_registry():
    embeds, ids, props = make_clip(CLIP_IDS, CLIP_PROPS, seed=1)
    loss = MODELS.build(
        dict(type='ChainContrastiveLoss', temperature=0.5,
             loss_weight=3.0))(embeds, ids, props)
    expected = 3.0 * ref_chain(
        as_lists(embeds), CLIP_IDS, as_lists(props), tau=0.5)
    assert loss.item() == pytest.approx(expected, abs=1e-6)


def test_chain_float32_matches_reference():
    embeds, ids, props = make_clip(CLIP_IDS, CLIP_PROPS, seed=2)
    loss = ChainContrastiveLoss()([e.float() for e in embeds], ids,
                                  [p.float() for p in props])
    assert loss.dtype == torch.float32
    expected = ref_chain(as_lists(embeds), CLIP_IDS, as_lists(props))
    assert loss.item() == pytest.approx(expected, rel=1e-5)


def test_chain_without_proposals_equals_empty_proposals():
    embeds, ids, _ = make_clip(CLIP_IDS, CLIP_PROPS, seed=3)
    loss_none = ChainContrastiveLoss()(embeds, ids, None)
    loss_some_none = ChainContrastiveLoss()(embeds, ids, [None] * 4)
    expected = ref_chain(as_lists(embeds), CLIP_IDS, [[]] * 4)
    assert loss_none.item() == pytest.approx(expected, abs=1e-6)
    assert loss_some_none.item() == pytest.approx(expected, abs=1e-6)


def test_chain_invariant_to_object_order_and_relabelling():
    embeds, ids, props = make_clip(CLIP_IDS, CLIP_PROPS, seed=4)
    base = ChainContrastiveLoss()(embeds, ids, props).item()
    gen = torch.Generator().manual_seed(0)
    perm_embeds, perm_ids, perm_props = [], [], []
    for e, i, p in zip(embeds, ids, props):
        order = torch.randperm(len(i), generator=gen)
        porder = torch.randperm(len(p), generator=gen)
        perm_embeds.append(e.detach()[order])
        perm_ids.append(i[order])
        perm_props.append(p[porder])
    assert any(not torch.equal(a, b) for a, b in zip(perm_ids, ids))
    permuted = ChainContrastiveLoss()(perm_embeds, perm_ids, perm_props)
    assert permuted.item() == pytest.approx(base, abs=1e-9)
    # a consistent bijective relabelling of the identities
    relabel = {3: 100, 5: 0, 9: 7, 12: 3, -1: -1}
    new_ids = [torch.tensor([relabel[v] for v in i.tolist()]) for i in ids]
    relabelled = ChainContrastiveLoss()(embeds, new_ids, props)
    assert relabelled.item() == pytest.approx(base, abs=1e-9)
    # an inconsistent relabelling (only in one frame) must change it
    broken = [i.clone() for i in ids]
    broken[1] = torch.tensor([3, 5, -1, 12])  # swaps 5 <-> 3 in frame 1
    assert abs(ChainContrastiveLoss()(embeds, broken, props).item() -
               base) > 1e-3


def test_chain_swapping_positive_roles_gives_predicted_change():
    """Two objects a, b in two frames, no proposals:
    L = 1/2 [softplus((s_ab - s_aa)/tau) + softplus((s_ba - s_bb)/tau)].
    Swapping the identities in frame 1 exchanges positive and negative, and
    softplus(x) - softplus(-x) = x gives
    L - L' = ((s_ab - s_aa) + (s_ba - s_bb)) / (2 tau)."""
    embeds, ids, _ = make_clip([[0, 1], [0, 1]], [0, 0], seed=5)
    loss = ChainContrastiveLoss()
    before = loss(embeds, ids).item()
    after = loss(embeds, [ids[0], torch.tensor([1, 0])]).item()
    (a0, b0), (a1, b1) = as_lists(embeds)
    predicted = ((dot(a0, b1) - dot(a0, a1)) +
                 (dot(b0, a1) - dot(b0, b1))) / (2 * TAU)
    assert before - after == pytest.approx(predicted, abs=1e-6)


def test_chain_symmetric_is_mean_of_both_time_directions():
    ids = [[0, 1, 2], [2, 0, 1]]
    embeds, ids_t, props = make_clip(ids, [2, 1], seed=6)
    fwd = ChainContrastiveLoss()(embeds, ids_t, props)
    rev = ChainContrastiveLoss()(embeds[::-1], ids_t[::-1], props[::-1])
    sym = ChainContrastiveLoss(symmetric=True)(embeds, ids_t, props)
    # same number of pairs (3) in each direction
    assert sym.item() == pytest.approx((fwd.item() + rev.item()) / 2, abs=1e-9)
    assert abs(fwd.item() - rev.item()) > 1e-3  # Eq. 1 is not symmetric


def test_chain_gradient_reaches_every_frame():
    ids = [[0, 1]] * 5
    embeds, ids_t, props = make_clip(ids, [1] * 5, seed=7)
    ChainContrastiveLoss()(embeds, ids_t, props).backward()
    for t, e in enumerate(embeds):
        assert e.grad is not None, t
        assert e.grad.abs().sum(dim=1).min() > 1e-6, t


def test_chain_missing_object_gives_no_pair_and_counts_pairs_by_hand():
    # identity 1 is absent from frame 1; identity 4 only in frame 2
    ids = [[0, 1, 2], [2, 0], [1, 0, 2, 4]]
    embeds, ids_t, props = make_clip(ids, [1, 2, 1], seed=8)
    E, P = as_lists(embeds), as_lists(props)

    # positive pairs by hand: link (0,1): id 0 (0->1), id 2 (2->0);
    # link (1,2): id 2 (0->2), id 0 (1->1); |M| = 4
    def others(t, j):
        return [E[t][k] for k in range(len(E[t])) if k != j]

    hand = [
        ref_nt_xent(E[0][0], E[1][1], others(1, 1), P[1]),
        ref_nt_xent(E[0][2], E[1][0], others(1, 0), P[1]),
        ref_nt_xent(E[1][0], E[2][2], others(2, 2), P[2]),
        ref_nt_xent(E[1][1], E[2][1], others(2, 1), P[2]),
    ]
    loss = ChainContrastiveLoss()(embeds, ids_t, props)
    assert loss.item() == pytest.approx(sum(hand) / 4, abs=1e-6)
    loss.backward()
    # id 1 in frame 0 has no partner in frame 1 and frame 0 is never a
    # target: its embedding gets no gradient at all
    assert embeds[0].grad[1].abs().max() == 0
    # but id 1 in frame 2 is a negative of frame 1's anchors
    assert embeds[2].grad[0].abs().max() > 0


def test_chain_empty_middle_frame_breaks_the_chain():
    # frame 2 has no objects: links (1,2) and (2,3) give no pair; the chain
    # does not skip from frame 1 to frame 3 (Eq. 2: consecutive frames only)
    ids = [[0, 1], [1, 0], [], [0, 1]]
    embeds, ids_t, props = make_clip(ids, [0, 2, 3, 1], seed=9)
    assert embeds[2].shape == (0, DIM)
    loss = ChainContrastiveLoss()(embeds, ids_t, props)
    E, P = as_lists(embeds), as_lists(props)
    assert loss.item() == pytest.approx(ref_chain(E, ids, P), abs=1e-6)
    only_first_link = ref_pair_terms(E, ids, P, [(0, 1)])
    assert len(only_first_link) == 2
    assert loss.item() == pytest.approx(sum(only_first_link) / 2, abs=1e-6)
    loss.backward()
    # frame 3 is unreachable across the gap: not even in the graph
    assert embeds[3].grad is None or embeds[3].grad.abs().sum() == 0
    assert embeds[0].grad.abs().max() > 0 and embeds[1].grad.abs().max() > 0


def test_proposals_similar_raise_dissimilar_leave_loss():
    gen = torch.Generator().manual_seed(10)
    a0, other = unit_rows(2, gen)
    # one anchor (id 0) in frame 0; frame 1: its counterpart, nearly the same
    # embedding (a well-trained state, similarity ~1), and another object
    moved = a0 + 0.05 * torch.randn(DIM, generator=gen, dtype=a0.dtype)
    embeds = [a0[None].clone(), torch.stack([moved / moved.norm(), other])]
    ids = [torch.tensor([0]), torch.tensor([0, 1])]
    none = a0.new_zeros(0, DIM)
    loss = ChainContrastiveLoss()
    base = loss(embeds, ids, [none, none]).item()
    similar = loss(embeds, ids, [none, a0[None]]).item()
    antipodal = loss(embeds, ids, [none, -a0[None]]).item()
    ortho = torch.linalg.qr(torch.stack([a0, other], 1))[0][:, 1]
    assert abs(dot(ortho.tolist(), a0.tolist())) < 1e-12
    orthogonal = loss(embeds, ids, [none, ortho[None]]).item()
    # a proposal equal to the anchor competes with the positive: ~ +log 2
    assert similar > base + 0.5
    # exp(-1/tau) = 4.5e-5 against a denominator >= exp(0.9/tau): ~1e-8
    assert abs(antipodal - base) < 1e-6
    # exp(0) = 1 against the same denominator: ~1e-4 at most
    assert 0 < orthogonal - base < 1e-3
    assert similar == pytest.approx(
        ref_chain(as_lists(embeds), [[0], [0, 1]], [[], [a0.tolist()]]),
        abs=1e-6)


@pytest.mark.parametrize('loss_cfg', [
    dict(type='ChainContrastiveLoss'),
    dict(type='ChainContrastiveLoss', symmetric=True),
    dict(type='PairwiseContrastiveLoss', seed=0),
    dict(type='BrokenChainContrastiveLoss', seed=0),
    dict(type='GlobalContrastiveLoss'),
    dict(type='GlobalContrastiveLoss', mode='infonce'),
])
@pytest.mark.parametrize(
    'ids',
    [
        [[0, 1], [2, 3], [4]],  # no identity repeats
        [[-1, -1], [-1], [-1, -1]],  # no ground-truth identity at all
        [[], [], []],  # no objects
        [[0, 1]],  # a single frame
    ])
def test_no_positive_pair_is_zero_with_graph(loss_cfg, ids):
    embeds, ids_t, props = make_clip(ids, [1] * len(ids), seed=11)
    loss = MODELS.build(loss_cfg)(embeds, ids_t, props)
    assert loss.dim() == 0 and loss.item() == 0
    assert loss.requires_grad
    loss.backward()
    assert embeds[0].grad is not None and embeds[0].grad.abs().sum() == 0


def test_bad_inputs_raise_clear_errors():
    embeds, ids, props = make_clip([[0, 1], [0, 1]], [1, 1], seed=12)
    loss = ChainContrastiveLoss()
    with pytest.raises(ValueError, match='one tensor per frame'):
        loss(embeds, ids[:1])
    with pytest.raises(ValueError, match=r'instance_ids\[1\]'):
        loss(embeds, [ids[0], torch.tensor([0, 1, 2])])
    with pytest.raises(ValueError, match='repeats a ground-truth identity'):
        loss(embeds, [ids[0], torch.tensor([4, 4])])
    with pytest.raises(ValueError, match=r'proposal_embeds\[0\]'):
        loss(embeds, ids, [torch.zeros(2, DIM + 1), props[1]])
    with pytest.raises(ValueError, match='temperature'):
        ChainContrastiveLoss(temperature=0)
    with pytest.raises(ValueError, match='mode'):
        GlobalContrastiveLoss(mode='simclr')
    # -1 may repeat: it is not an identity
    loss(embeds, [ids[0], torch.tensor([-1, -1])])


# --------------------------------------------------------------------------
# PairwiseContrastiveLoss
def test_pairwise_equals_qdtrack_formula_for_every_pair():
    embeds, ids, props = make_clip(CLIP_IDS, CLIP_PROPS, seed=13)
    E, P = as_lists(embeds), as_lists(props)
    loss = PairwiseContrastiveLoss(loss_weight=2.0)
    checked = 0
    for key, ref in itertools.permutations(range(4), 2):
        value = loss(embeds, ids, props, frame_pairs=[(key, ref)])
        expected = ref_qdtrack(E, CLIP_IDS, P, key, ref)
        assert value.item() == pytest.approx(2.0 * expected, abs=1e-6)
        checked += expected > 0
    assert checked >= 10  # most pairs have anchors


def test_pairwise_sampling_seeded_uniform_and_used():
    embeds, ids, props = make_clip(CLIP_IDS, CLIP_PROPS, seed=14)
    E, P = as_lists(embeds), as_lists(props)
    a, b = PairwiseContrastiveLoss(seed=3), PairwiseContrastiveLoss(seed=3)
    seen = {}
    for _ in range(300):
        va = a(embeds, ids, props)
        vb = b(embeds, ids, props)
        assert a.last_pairs == b.last_pairs  # reproducible with a seed
        (key, ref), = a.last_pairs
        assert key != ref
        assert va.item() == pytest.approx(
            ref_qdtrack(E, CLIP_IDS, P, key, ref), abs=1e-6)
        assert vb.item() == va.item()
        seen[(key, ref)] = seen.get((key, ref), 0) + 1
    # all 12 ordered pairs of distinct frames, none wildly over-drawn
    # (expected 25 each; 300 draws)
    assert set(seen) == set(itertools.permutations(range(4), 2))
    assert max(seen.values()) < 50
    # a different seed gives a different sequence
    c = PairwiseContrastiveLoss(seed=4)
    draws_c = [c.sample_pairs(6)[0] for _ in range(20)]
    d = PairwiseContrastiveLoss(seed=3)
    draws_d = [d.sample_pairs(6)[0] for _ in range(20)]
    assert draws_c != draws_d
    # seed=None follows Python's global random state
    e = PairwiseContrastiveLoss()
    random.seed(123)
    first = [e.sample_pairs(6)[0] for _ in range(10)]
    random.seed(123)
    assert [e.sample_pairs(6)[0] for _ in range(10)] == first


def test_pairwise_proposals_are_negatives():
    embeds, ids, _ = make_clip([[0, 1], [1, 0]], [0, 0], seed=15)
    loss = PairwiseContrastiveLoss()
    no_props = loss(embeds, ids, None, frame_pairs=[(0, 1)]).item()
    props = [torch.zeros(0, DIM, dtype=torch.float64), embeds[0].detach()]
    with_props = loss(embeds, ids, props, frame_pairs=[(0, 1)]).item()
    assert with_props > no_props + 0.1
    assert with_props == pytest.approx(
        ref_qdtrack(as_lists(embeds), [[0, 1], [1, 0]], as_lists(props), 0, 1),
        abs=1e-6)


# --------------------------------------------------------------------------
# BrokenChainContrastiveLoss
@pytest.mark.parametrize('num_frames', [3, 4, 5, 8])
def test_broken_chain_pairs_are_isolated_and_non_consecutive(num_frames):
    loss = BrokenChainContrastiveLoss(seed=num_frames)
    for _ in range(50):
        pairs = loss.sample_pairs(num_frames)
        assert len(pairs) == num_frames - 1  # as many pairs as the chain
        for a, b in pairs:
            assert 0 <= a < b < num_frames
            assert b - a >= 2  # never a consecutive link (t, t+1)
        distinct = set(pairs)
        frames = [f for pair in distinct for f in pair]
        # no frame in two different pairs: no transitive path a-b-c
        assert len(frames) == len(set(frames))
        assert len(distinct) == num_frames // 2


def test_broken_chain_equals_nt_xent_on_drawn_pairs():
    ids = [[0, 1, 2], [1, 0, 2], [2, 0], [0, 1, 2], [1, 2, 0], [0, 1]]
    props = [1, 2, 0, 1, 3, 2]
    embeds, ids_t, props_t = make_clip(ids, props, seed=16)
    E, P = as_lists(embeds), as_lists(props_t)
    loss = BrokenChainContrastiveLoss(seed=1)
    twin = BrokenChainContrastiveLoss(seed=1)
    for _ in range(5):
        value = loss(embeds, ids_t, props_t)
        assert twin.sample_pairs(6) == loss.last_pairs
        terms = ref_pair_terms(E, ids, P, loss.last_pairs)
        assert value.item() == pytest.approx(sum(terms) / len(terms), abs=1e-6)
        # and differs from the chain, which uses (t, t+1)
        assert abs(value.item() - ref_chain(E, ids, P)) > 1e-4
    # explicit pairs
    fixed = loss(embeds, ids_t, props_t, frame_pairs=[(0, 3), (2, 5)])
    terms = ref_pair_terms(E, ids, P, [(0, 3), (2, 5)])
    assert fixed.item() == pytest.approx(sum(terms) / len(terms), abs=1e-6)


def test_broken_chain_options_and_errors():
    with pytest.raises(ValueError, match='min_gap=2'):
        BrokenChainContrastiveLoss().sample_pairs(2)
    assert BrokenChainContrastiveLoss(seed=0).sample_pairs(3) == [(0, 2)] * 2
    loss = BrokenChainContrastiveLoss(min_gap=1, num_pairs=3, seed=0)
    pairs = loss.sample_pairs(2)
    assert pairs == [(0, 1)] * 3
    with pytest.raises(ValueError, match='invalid for a clip of 3'):
        embeds, ids, _ = make_clip([[0], [0], [0]], [0, 0, 0])
        loss(embeds, ids, frame_pairs=[(1, 1)])


# --------------------------------------------------------------------------
# GlobalContrastiveLoss
@pytest.mark.parametrize('mode,reference', [('supcon', ref_supcon),
                                            ('infonce', ref_infonce)])
def test_global_equals_direct_evaluation(mode, reference):
    embeds, ids, props = make_clip(CLIP_IDS, CLIP_PROPS, seed=17)
    loss = GlobalContrastiveLoss(mode=mode, loss_weight=0.5)
    value = loss(embeds, ids, props)
    expected = reference(as_lists(embeds), CLIP_IDS, as_lists(props))
    assert value.item() == pytest.approx(0.5 * expected, abs=1e-6)
    # the global loss ignores time order: permuting frames keeps it, while
    # the chain loss changes
    order = [2, 0, 3, 1]
    perm = ([embeds[t] for t in order], [ids[t] for t in order],
            [props[t] for t in order])
    assert loss(*perm).item() == pytest.approx(value.item(), abs=1e-9)
    chain = ChainContrastiveLoss()
    assert abs(chain(*perm).item() - chain(embeds, ids, props).item()) > 1e-3


def test_global_supcon_and_infonce_differ_with_several_positives():
    # identity 0 in three frames: SupCon keeps the other positive in the
    # denominator, InfoNCE does not, so InfoNCE is smaller
    # (every identity in all three frames, so both average the same way)
    embeds, ids, props = make_clip([[0, 1], [0, 1], [0, 1]], [1, 0, 1],
                                   seed=18)
    supcon = GlobalContrastiveLoss()(embeds, ids, props).item()
    infonce = GlobalContrastiveLoss(mode='infonce')(embeds, ids, props).item()
    assert infonce < supcon


def test_global_infonce_without_negatives_has_finite_gradient():
    embeds, ids, _ = make_clip([[0], [0], [0]], [0, 0, 0], seed=19)
    value = GlobalContrastiveLoss(mode='infonce')(embeds, ids)
    assert value.item() == 0  # -log(e^s / e^s)
    value.backward()
    assert all(torch.isfinite(e.grad).all() for e in embeds)
    sup = GlobalContrastiveLoss()(embeds, ids)
    sup.backward()
    assert all(torch.isfinite(e.grad).all() for e in embeds)


# --------------------------------------------------------------------------
# multi_layer_loss
def test_multi_layer_loss_keys_weights_and_shared_pairs():
    layer0 = make_clip(CLIP_IDS, CLIP_PROPS, seed=20)
    layer1 = make_clip(CLIP_IDS, CLIP_PROPS, seed=21)
    ids = layer0[1]
    chain = ChainContrastiveLoss()
    out = multi_layer_loss(
        chain, [layer0[0], layer1[0]],
        ids, [layer0[2], layer1[2]],
        weights=[0.5, 1.0])
    assert set(out) == {'loss_track_l0', 'loss_track_l1'}
    for key, (e, _, p), w in zip(['loss_track_l0', 'loss_track_l1'],
                                 [layer0, layer1], [0.5, 1.0]):
        expected = w * ref_chain(as_lists(e), CLIP_IDS, as_lists(p))
        assert out[key].item() == pytest.approx(expected, abs=1e-6)
    # a sampling loss draws its pairs once for all layers
    pairwise = PairwiseContrastiveLoss(seed=0)
    out = multi_layer_loss(pairwise, [layer0[0], layer0[0]], ids,
                           [layer0[2], layer0[2]])
    (key, ref), = pairwise.last_pairs
    expected = ref_qdtrack(
        as_lists(layer0[0]), CLIP_IDS, as_lists(layer0[2]), key, ref)
    assert out['loss_track_l0'].item() == pytest.approx(expected, abs=1e-6)
    assert out['loss_track_l1'].item() == out['loss_track_l0'].item()
    with pytest.raises(ValueError, match='layer weights'):
        multi_layer_loss(chain, [layer0[0]], ids, weights=[1.0, 1.0])


# --------------------------------------------------------------------------
# filter_pseudo_negatives
def test_filter_pseudo_negatives_threshold_is_inclusive():
    gt = torch.tensor([[0., 0., 10., 10.], [100., 100., 120., 110.]])
    proposals = torch.tensor([
        [0., 0., 10., 5.],  # 50 / 100 = 0.5 exactly   -> drop
        [0., 0., 10., 4.9],  # 49 / 100 = 0.49          -> keep
        [0., 0., 10., 5.1],  # 51 / 100 = 0.51          -> drop
        [0., 0., 20., 10.],  # 100 / 200 = 0.5 exactly  -> drop
        [0., 0., 20.2, 10.],  # 100 / 202 = 0.495        -> keep
        [100., 100., 110., 110.],  # 100 / 200 = 0.5 with gt 1 -> drop
        [5., 0., 15., 10.],  # 50 / 150 = 0.333         -> keep
        [50., 50., 60., 60.],  # no overlap               -> keep
    ])
    # hand IoUs (max over gt) with the formula inter / union
    hand_iou = [0.5, 0.49, 0.51, 0.5, 100 / 202, 0.5, 1 / 3, 0.0]
    keep = filter_pseudo_negatives(proposals, gt)
    assert keep.dtype == torch.bool and keep.shape == (8, )
    assert keep.tolist() == [iou < 0.5 for iou in hand_iou]
    assert keep.tolist() == [
        False, True, False, False, True, False, True, True
    ]
    # a stricter threshold drops the 1/3 one too
    assert filter_pseudo_negatives(proposals, gt, iou_thr=0.3).tolist() == \
        [iou < 0.3 for iou in hand_iou]


def test_filter_pseudo_negatives_empty_inputs_and_errors():
    proposals = torch.tensor([[0., 0., 10., 10.], [1., 1., 2., 2.]])
    assert filter_pseudo_negatives(proposals,
                                   torch.zeros(0, 4)).tolist() == [True, True]
    empty = filter_pseudo_negatives(torch.zeros(0, 4), proposals)
    assert empty.shape == (0, ) and empty.dtype == torch.bool
    # integer boxes and plain lists work
    assert filter_pseudo_negatives([[0, 0, 10, 10]],
                                   [[0, 0, 10, 10]]).tolist() == [False]
    with pytest.raises(ValueError, match=r'boxes\[:, :4\]'):
        filter_pseudo_negatives(torch.zeros(3, 5), proposals)
    with pytest.raises(ValueError, match='iou_thr'):
        filter_pseudo_negatives(proposals, proposals, iou_thr=1.5)


# --------------------------------------------------------------------------
# negative scopes (issue 16: positives vs negatives, docs/results.md)
def ref_chain_clip_negatives(E, ids, P, tau=TAU, symmetric=False):
    """The chain's positive pairs (t, t+1), each against every object of
    another identity (ids < 0 included) and every proposal of the clip."""
    objs, props = flatten_clip(E, ids, P)
    links = [(t, t + 1) for t in range(len(E) - 1)]
    if symmetric:
        links += [(t + 1, t) for t in range(len(E) - 1)]
    terms = []
    for a, b in links:
        for i, z in enumerate(E[a]):
            idn = ids[a][i]
            if idn < 0:
                continue
            negatives = [o[2] for o in objs if o[3] != idn] + props
            for j, w in enumerate(E[b]):
                if ids[b][j] == idn:
                    pos = math.exp(dot(z, w) / tau)
                    den = pos + sum(
                        math.exp(dot(z, k) / tau) for k in negatives)
                    terms.append(-math.log(pos / den))
    return sum(terms) / len(terms) if terms else 0.0


def ref_global_next_frame_negatives(E, ids, P, tau=TAU):
    """Global positives (same identity, any other frame) of anchors in
    frames 0..T-2, each against the next frame's other objects and
    proposals only."""
    objs, _ = flatten_clip(E, ids, P)
    terms = []
    for n, (t, _, z, idn) in enumerate(objs):
        if idn < 0 or t == len(E) - 1:
            continue
        negatives = [
            E[t + 1][k] for k in range(len(E[t + 1])) if ids[t + 1][k] != idn
        ] + list(P[t + 1])
        for m, o in enumerate(objs):
            if m != n and o[3] == idn and o[0] != t:
                pos = math.exp(dot(z, o[2]) / tau)
                den = pos + sum(math.exp(dot(z, k) / tau) for k in negatives)
                terms.append(-math.log(pos / den))
    return sum(terms) / len(terms) if terms else 0.0


@pytest.mark.parametrize('symmetric', [False, True])
def test_chain_clip_negatives_equals_direct_evaluation(symmetric):
    embeds, ids, props = make_clip(CLIP_IDS, CLIP_PROPS, seed=21)
    loss = ChainContrastiveLoss(negatives='clip', symmetric=symmetric)
    value = loss(embeds, ids, props)
    expected = ref_chain_clip_negatives(
        as_lists(embeds), CLIP_IDS, as_lists(props), symmetric=symmetric)
    assert value.item() == pytest.approx(expected, abs=1e-6)
    # more negatives than Eq. 1's next-frame ones: a larger loss
    default = ChainContrastiveLoss(symmetric=symmetric)(embeds, ids, props)
    assert value.item() > default.item() + 1e-3
    value.backward()
    assert all(torch.isfinite(e.grad).all() for e in embeds)


def test_global_next_frame_negatives_equals_direct_evaluation():
    embeds, ids, props = make_clip(CLIP_IDS, CLIP_PROPS, seed=22)
    loss = GlobalContrastiveLoss(mode='infonce', negatives='next_frame')
    value = loss(embeds, ids, props)
    expected = ref_global_next_frame_negatives(
        as_lists(embeds), CLIP_IDS, as_lists(props))
    assert value.item() == pytest.approx(expected, abs=1e-6)
    clip_wide = GlobalContrastiveLoss(mode='infonce')(embeds, ids, props)
    assert abs(value.item() - clip_wide.item()) > 1e-3


def test_negative_scope_options_are_checked():
    with pytest.raises(ValueError, match="negatives must be one of"):
        ChainContrastiveLoss(negatives='batch')
    with pytest.raises(ValueError, match="needs mode='infonce'"):
        GlobalContrastiveLoss(negatives='next_frame')
    with pytest.raises(ValueError, match="negatives must be one"):
        GlobalContrastiveLoss(mode='infonce', negatives='video')
