"""``bw.defenses.AdversarialTrainer``: the adversarial-training loop over a DataLoader with any
optimizer and scheduler; the epoch runs in bulwark's C++ core, which calls your model,
optimizer and loader back."""

import json
import math
import os
import warnings

import torch

from . import _core
from ._convert import as_labels, as_tensor, check_bool, check_path, check_str
from ._options import make_options

_FIELDS = ("epoch", "train_loss", "train_accuracy", "clean_accuracy", "robust_accuracy", "lr", "seconds")


def _crafting_module(model):
    """The module attacks query: under DistributedDataParallel, the wrapped module (a DDP
    forward expects its own backward, which the attack's input-gradient passes never make)."""
    if isinstance(model, torch.nn.parallel.DistributedDataParallel):
        return model.module
    return model


def _loader_generators(loader):
    """The generators a DataLoader's shuffle draws from when it was given one (its own, its
    sampler's, its batch sampler's sampler's), seeded per epoch by the trainer."""
    found = []
    for obj in (loader, getattr(loader, "sampler", None), getattr(loader, "batch_sampler", None),
                getattr(getattr(loader, "batch_sampler", None), "sampler", None)):
        g = getattr(obj, "generator", None)
        if isinstance(g, torch.Generator) and all(g is not f for f in found):
            found.append(g)
    return found


def _shuffles_from_global(loader):
    sampler = getattr(loader, "sampler", None)
    return isinstance(sampler, torch.utils.data.RandomSampler) and not _loader_generators(loader)


def _record_dict(r):
    return {k: getattr(r, k) for k in _FIELDS}


class AdversarialTrainer:
    """Adversarial training of ``model`` with ``optimizer``, one epoch at a time.

    ``method``: ``"pgd"`` (Madry et al. 2018), ``"fast"`` (Wong et al. 2020), ``"free"``
    (Shafahi et al. 2019: each minibatch replayed ``replays`` times, one optimizer step and one
    FGSM step of the carried perturbation per replay — use ``epochs / replays`` epochs for the
    cost of standard training), ``"trades"`` (Zhang et al. 2019), ``"mart"`` (Wang et al. 2020)
    or ``"standard"`` (clean cross-entropy). ``eps``, ``norm`` (pgd and mart; the others are
    L-inf), ``steps``, ``step_size`` (default: each method's own) and ``beta`` are the methods'
    settings; ``bounds`` is the input box; ``eval_while_crafting`` as for the losses.

    ``scheduler``: a ``torch.optim.lr_scheduler`` object, stepped after every epoch
    (``scheduler_step="epoch"``) or after every optimizer step (``"batch"``, e.g. OneCycleLR).

    After each epoch the trainer measures clean and robust accuracy (PGD with ``val_steps``
    steps at ``eps``) on ``val_loader`` if given, appends a record to :attr:`history`, and writes
    ``checkpoint`` (model, optimizer, scheduler and trainer state, atomically) if given.
    ``fit(..., resume=True)`` continues from an existing checkpoint; the resumed run equals the
    one that never stopped, because each epoch's randomness follows from ``(seed, epoch)``: the
    trainer seeds every attack from it and, before iterating the loader, the loader's own
    generator (``DataLoader(..., generator=torch.Generator())``), so its shuffle repeats. bulwark
    never touches torch's global generator: a loader that shuffles without a generator of its own
    (a warning says so when ``checkpoint`` is set) and a model with dropout draw from it, so seed
    it yourself (``torch.manual_seed``) if such a run must resume bit for bit.
    """

    def __init__(self, model, optimizer, method="pgd", eps=0.1, norm="linf", steps=10, step_size=None, beta=6.0,
                 replays=4, epochs=10, scheduler=None, scheduler_step="epoch", bounds=(0.0, 1.0),
                 eval_while_crafting=True, val_steps=10, seed=None, checkpoint=None, progress=True):
        fn = "AdversarialTrainer"
        from .classifier import Classifier
        if isinstance(model, Classifier) or not callable(model):
            raise _core.ArgumentTypeError(f"{fn}: model must be the nn.Module being trained (or a callable), got "
                            f"{type(model).__name__}")
        if not isinstance(optimizer, torch.optim.Optimizer):
            raise _core.ArgumentTypeError(f"{fn}: optimizer must be a torch.optim.Optimizer, got {type(optimizer).__name__}")
        if scheduler is not None and not (hasattr(scheduler, "step") and hasattr(scheduler, "state_dict")):
            raise _core.ArgumentTypeError(f"{fn}: scheduler must be a torch.optim.lr_scheduler object or None, got "
                            f"{type(scheduler).__name__}")
        scheduler_step = check_str(scheduler_step, fn, "scheduler_step")
        if scheduler_step not in ("epoch", "batch"):
            raise _core.InvalidArgumentError(f"{fn}: scheduler_step must be 'epoch' or 'batch', got {scheduler_step!r}")
        self.model, self.optimizer, self.scheduler = model, optimizer, scheduler
        # The loop's options are C++'s AdversarialTrainingOptions: names, defaults and checks live
        # there (bulwark/_options.py); scheduler_step, checkpoint and progress are Python's own.
        options = make_options(_core.defenses.AdversarialTrainingOptions, dict(
            method=method, eps=eps, norm=norm, steps=steps, step_size=step_size, beta=beta, replays=replays,
            epochs=epochs, val_steps=val_steps, seed=seed))
        self.checkpoint = None if checkpoint is None else check_path(checkpoint, fn, "checkpoint")
        if self.checkpoint is not None:
            d = os.path.dirname(os.path.abspath(self.checkpoint))
            if not os.path.isdir(d):  # a typo in the path is an error, not a new directory
                raise _core.FileError(f"{fn}: the directory of checkpoint {self.checkpoint!r} does not exist")
        self.progress = check_bool(progress, fn, "progress")
        self._crafter = Classifier(_crafting_module(model), bounds=bounds,
                                   eval_mode=check_bool(eval_while_crafting, fn, "eval_while_crafting"))
        self._bar = None

        def step():
            optimizer.step()
            if scheduler is not None and scheduler_step == "batch":
                scheduler.step()

        def end_epoch():
            if scheduler is not None and scheduler_step == "epoch":
                scheduler.step()

        def on_batch(epoch, epochs, batch, batches, loss):
            if self._bar is not None:
                self._bar(epoch, epochs, batch, batches, loss)

        self._impl = _core.defenses.AdversarialTrainer(
            self._crafter._impl, model, optimizer.zero_grad, step, end_epoch,
            lambda: float(optimizer.param_groups[0]["lr"]), options, on_batch)
        resolved = self._impl.options
        self.method, self.epochs, self.seed = resolved.method, resolved.epochs, resolved.seed

    # -- the loop -----------------------------------------------------------------------------

    @staticmethod
    def _source(loader, fn, name, reseed):
        """The C++ batch source of ``loader``: a bw.data.Batches is one already; a DataLoader (any
        iterable of (inputs, labels)) is called back per minibatch."""
        from .data import Batches
        if isinstance(loader, Batches):
            return loader._impl
        try:
            batches = len(loader)
        except TypeError:
            batches = -1
        state = {"it": None}

        generators = _loader_generators(loader) if reseed else []

        def begin(seed):
            for g in generators:
                g.manual_seed(seed)
            state["it"] = iter(loader)

        def next_batch():
            try:
                batch = next(state["it"])
            except StopIteration:
                return None
            if not isinstance(batch, (tuple, list)) or len(batch) != 2:
                raise _core.ArgumentTypeError(f"{fn}: {name} must yield (inputs, labels) pairs, got {type(batch).__name__}")
            x, _ = as_tensor(batch[0], fn, f"{name} inputs")
            if not x.dtype.is_floating_point:
                raise _core.ArgumentTypeError(f"{fn}: {name} inputs must be floating point, got {x.dtype}")
            return x, as_labels(batch[1], fn, f"{name} labels", device=x.device)

        return _core.data.FunctionBatches(begin, next_batch, batches)

    def fit(self, train_loader, val_loader=None, resume=True):
        """Trains the remaining epochs; returns :attr:`history`. With ``resume=True`` and an
        existing ``checkpoint`` file, loads it first and continues from its epoch."""
        fn = "AdversarialTrainer.fit"
        if check_bool(resume, fn, "resume") and self.checkpoint is not None and os.path.exists(self.checkpoint):
            self.load_checkpoint(self.checkpoint)
        if self.checkpoint is not None and _shuffles_from_global(train_loader):
            warnings.warn(f"{fn}: train_loader shuffles from torch's global generator, which bulwark never seeds; "
                          "give it its own (DataLoader(..., generator=torch.Generator())) so that a resumed run "
                          "equals the one that never stopped", stacklevel=2)
        train = self._source(train_loader, fn, "train_loader", reseed=True)
        val = self._source(val_loader, fn, "val_loader", reseed=False) if val_loader is not None else None
        from ._progress import progress_callback
        with progress_callback(self.method, self.progress) as bar:
            self._bar = bar
            try:
                while self._impl.epoch < self.epochs:
                    rec = _record_dict(self._impl.train_epoch(train, val))
                    if self.checkpoint is not None:
                        self.save_checkpoint(self.checkpoint)
                    if self.progress:
                        self._report(rec)
            finally:
                self._bar = None
        return self.history

    def _report(self, r):
        from ._progress import tqdm_class
        tqdm = tqdm_class()
        line = (f"{self.method} epoch {r['epoch']}/{self.epochs}: loss {r['train_loss']:.4f}, "
                f"train acc {r['train_accuracy']:.4f}")
        if not math.isnan(r["clean_accuracy"]):
            line += f", val clean {r['clean_accuracy']:.4f}, robust {r['robust_accuracy']:.4f}"
        tqdm.write(line + f" ({r['seconds']:.1f} s)")

    @property
    def history(self):
        """One dict per finished epoch: ``epoch`` (1-based), ``train_loss``, ``train_accuracy``
        (on the examples trained on), ``clean_accuracy`` and ``robust_accuracy`` (validation; NaN
        without a val_loader), ``lr`` (after the epoch) and ``seconds`` (training time)."""
        return [_record_dict(r) for r in self._impl.history]

    @property
    def epoch(self):
        """Epochs done."""
        return self._impl.epoch

    # -- checkpoints --------------------------------------------------------------------------

    def save_checkpoint(self, path):
        """Writes model, optimizer, scheduler and trainer state to ``path`` (atomically), in
        bulwark's training-checkpoint format: the file C++'s ``defenses::save_checkpoint`` writes,
        so a run checkpointed here resumes in C++ (``defenses::load_checkpoint``) and vice versa,
        for SGD, Adam and AdamW (any other torch.optim optimizer resumes from Python)."""
        fn = "AdversarialTrainer.save_checkpoint"
        c = _core.models.TrainingCheckpoint()
        c.model = list(_model_state(self.model).items())
        c.optimizer = _optimizer_state(self.optimizer, fn)
        c.trainer = self._impl.state()
        c.scheduler = "" if self.scheduler is None else _scheduler_json(self.scheduler.state_dict(), fn)
        _core.models.write_training_checkpoint(check_path(path, fn), c)

    def load_checkpoint(self, path):
        """Restores model, optimizer, scheduler and trainer state from ``path`` (written by this
        class or by C++'s ``defenses::save_checkpoint``). A checkpoint of another method or seed,
        or with more epochs done than ``epochs``, is a ``bw.FormatError``."""
        fn = "AdversarialTrainer.load_checkpoint"
        c = _core.models.read_training_checkpoint(check_path(path, fn))
        if c.scheduler and self.scheduler is None:
            raise _core.FormatError(f"{fn}: '{path}' holds a scheduler's state; this trainer has no scheduler")
        if not c.scheduler and self.scheduler is not None:
            raise _core.FormatError(f"{fn}: '{path}' holds no scheduler state; this trainer has a scheduler")
        trainer = c.trainer
        p = next(iter(self.model.parameters()), None) if hasattr(self.model, "parameters") else None
        if trainer.free_delta is not None and p is not None:
            trainer.free_delta = trainer.free_delta.to(p.device)
        self._impl.restore(trainer)  # first: it checks the method, the seed and the epochs
        if hasattr(self.model, "load_state_dict"):
            try:
                self.model.load_state_dict(dict(c.model))
            except RuntimeError as e:
                raise _core.FormatError(f"{fn}: '{path}' does not hold this model's weights: {e}") from None
        _load_optimizer_state(self.optimizer, c.optimizer, fn, path)
        if self.scheduler is not None:
            self.scheduler.load_state_dict(_scheduler_from_json(c.scheduler))

    def __repr__(self):
        return (f"AdversarialTrainer(method={self.method!r}, epochs={self.epochs}, seed={self.seed}, "
                f"epoch={self.epoch})")


# -- the optimizer in the checkpoint format (bulwark/models/training_checkpoint.h) -------------

def _model_state(model):
    return model.state_dict() if hasattr(model, "state_dict") else {}


def _plain(v):
    """Settings as JSON holds them: tensors as numbers or lists, tuples as lists, non-finite
    numbers as bulwark's "nan"/"inf"/"-inf" strings (C++ reads these)."""
    if isinstance(v, torch.Tensor):
        return _plain(v.tolist())
    if isinstance(v, dict):
        return {str(k): _plain(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    if isinstance(v, float) and not math.isfinite(v):
        return "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf")
    return v


def _to_json(value, fn, what):
    try:
        return json.dumps(_plain(value), allow_nan=False)
    except (TypeError, ValueError) as e:
        raise _core.ArgumentTypeError(f"{fn}: {what} cannot be saved as JSON ({e})") from None


# A scheduler's state_dict round-trips exactly: tuples, dicts with non-string keys (MultiStepLR's
# milestones Counter) and non-finite floats are tagged; functions (LambdaLR's lambdas, OneCycleLR's
# annealing function) are left out, as torch leaves them out, and stay as the constructor made them.
def _tag(v):
    if isinstance(v, torch.Tensor):
        return {"__tensor__": v.tolist(), "dtype": str(v.dtype).replace("torch.", "")}
    if isinstance(v, float) and not math.isfinite(v):
        return {"__float__": repr(v)}
    if isinstance(v, tuple):
        return {"__tuple__": [_tag(x) for x in v]}
    if isinstance(v, list):
        return [_tag(x) for x in v]
    if isinstance(v, dict):
        items = [[_tag(k), _tag(x)] for k, x in v.items() if not callable(x)]
        kind = "Counter" if type(v).__name__ == "Counter" else "dict"
        if kind == "dict" and all(isinstance(k, str) for k in v):
            return {"__dict__": {k: x for k, x in items}}
        return {"__items__": items, "kind": kind}
    if v is None or isinstance(v, (bool, int, float, str)):
        return v
    raise _core.ArgumentTypeError(f"a {type(v).__name__}")


def _untag(v):
    if isinstance(v, list):
        return [_untag(x) for x in v]
    if not isinstance(v, dict):
        return v
    if "__tensor__" in v:
        return torch.tensor(v["__tensor__"], dtype=getattr(torch, v["dtype"]))
    if "__float__" in v:
        return float(v["__float__"])
    if "__tuple__" in v:
        return tuple(_untag(x) for x in v["__tuple__"])
    if "__dict__" in v:
        return {k: _untag(x) for k, x in v["__dict__"].items()}
    items = {_untag(k): _untag(x) for k, x in v["__items__"]}
    if v.get("kind") == "Counter":
        import collections
        return collections.Counter(items)
    return items


def _scheduler_json(state, fn):
    try:
        return json.dumps(_tag({k: x for k, x in state.items() if not callable(x)}), allow_nan=False)
    except (TypeError, ValueError) as e:
        raise _core.ArgumentTypeError(f"{fn}: the scheduler's state cannot be saved: it holds {e}") from None


def _scheduler_from_json(text):
    return _untag(json.loads(text))


def _optimizer_state(optimizer, fn):
    """torch.optim's state_dict as the checkpoint's OptimizerState: the kind, each group's
    settings and parameter indices, each parameter's state tensors (numbers as 0-d tensors)."""
    sd = optimizer.state_dict()
    o = _core.models.OptimizerState()
    o.kind = type(optimizer).__name__.lower()
    settings, params = [], []
    for g in sd["param_groups"]:
        settings.append(_to_json({k: v for k, v in g.items() if k != "params"}, fn, "the optimizer's settings"))
        params.append([int(i) for i in g["params"]])
    o.group_settings, o.group_params = settings, params
    n = sum(len(p) for p in params)
    state = []
    for i in range(n):
        entries = []
        for name, value in sd["state"].get(i, {}).items():
            if value is None:
                continue
            if not isinstance(value, torch.Tensor):
                value = torch.tensor(value)
            entries.append((str(name), value))
        state.append(entries)
    o.param_state = state
    return o


def _load_optimizer_state(optimizer, o, fn, path):
    kind = type(optimizer).__name__.lower()
    if o.kind != kind:
        raise _core.FormatError(f"{fn}: '{path}' holds the state of a '{o.kind}' optimizer; this one is '{kind}'")
    current = optimizer.state_dict()["param_groups"]
    if len(current) != len(o.group_params) or any(len(g["params"]) != len(p) for g, p in zip(current, o.group_params)):
        raise _core.FormatError(f"{fn}: '{path}' has parameter groups of sizes {[len(p) for p in o.group_params]}; "
                                f"this optimizer's are {[len(g['params']) for g in current]}")
    groups = []
    for g, text, idx in zip(current, o.group_settings, o.group_params):
        saved = json.loads(text)
        merged = dict(g)  # settings only one language has (foreach, capturable, ...) stay as they are
        for k, v in saved.items():
            if k in merged and isinstance(merged[k], tuple) and isinstance(v, list):
                v = tuple(v)
            merged[k] = v
        merged["params"] = list(idx)
        groups.append(merged)
    state = {i: dict(entries) for i, entries in enumerate(o.param_state) if entries}
    optimizer.load_state_dict({"state": state, "param_groups": groups})
