"""``bw.defenses.AdversarialTrainer``: the adversarial-training loop over a DataLoader with any
optimizer and scheduler; the epoch runs in bulwark's C++ core, which calls your model,
optimizer and loader back."""

import math
import os
import warnings

import torch

from . import _core
from ._convert import as_labels, as_tensor, check_bool, check_path, check_str
from ._options import make_options

_FIELDS = ("epoch", "train_loss", "train_accuracy", "clean_accuracy", "robust_accuracy", "lr", "seconds")
_FORMAT = "bulwark.AdversarialTrainer/1"


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
            raise TypeError(f"{fn}: model must be the nn.Module being trained (or a callable), got "
                            f"{type(model).__name__}")
        if not isinstance(optimizer, torch.optim.Optimizer):
            raise TypeError(f"{fn}: optimizer must be a torch.optim.Optimizer, got {type(optimizer).__name__}")
        if scheduler is not None and not (hasattr(scheduler, "step") and hasattr(scheduler, "state_dict")):
            raise TypeError(f"{fn}: scheduler must be a torch.optim.lr_scheduler object or None, got "
                            f"{type(scheduler).__name__}")
        scheduler_step = check_str(scheduler_step, fn, "scheduler_step")
        if scheduler_step not in ("epoch", "batch"):
            raise ValueError(f"{fn}: scheduler_step must be 'epoch' or 'batch', got {scheduler_step!r}")
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
                raise TypeError(f"{fn}: {name} must yield (inputs, labels) pairs, got {type(batch).__name__}")
            x, _ = as_tensor(batch[0], fn, f"{name} inputs")
            if not x.dtype.is_floating_point:
                raise TypeError(f"{fn}: {name} inputs must be floating point, got {x.dtype}")
            return x, as_labels(batch[1], fn, f"{name} labels", device=x.device)

        return begin, next_batch, batches

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
        val = self._source(val_loader, fn, "val_loader", reseed=False) if val_loader is not None else (None, None, -1)
        from ._progress import progress_callback
        with progress_callback(self.method, self.progress) as bar:
            self._bar = bar
            try:
                while self._impl.epoch < self.epochs:
                    rec = _record_dict(self._impl.train_epoch(*train, *val))
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
        """Writes model, optimizer, scheduler and trainer state to ``path`` (atomically)."""
        path = check_path(path, "AdversarialTrainer.save_checkpoint")
        state = {
            "format": _FORMAT,
            "model": self.model.state_dict() if hasattr(self.model, "state_dict") else None,
            "optimizer": self.optimizer.state_dict(),
            "scheduler": self.scheduler.state_dict() if self.scheduler is not None else None,
            "trainer": {"method": self.method, "seed": self.seed, "history": self.history,
                        "free_delta": self._impl.free_delta},
        }
        tmp = f"{path}.tmp.{os.getpid()}"
        torch.save(state, tmp)
        os.replace(tmp, path)

    def load_checkpoint(self, path):
        """Restores model, optimizer, scheduler and trainer state from ``path``."""
        fn = "AdversarialTrainer.load_checkpoint"
        path = check_path(path, fn)
        if not os.path.isfile(path):
            raise FileNotFoundError(f"{fn}: '{path}' is not a file")
        try:
            state = torch.load(path, map_location="cpu")
        except Exception as e:
            raise ValueError(f"{fn}: '{path}' is not a checkpoint ({e})") from None
        if not isinstance(state, dict) or state.get("format") != _FORMAT:
            raise ValueError(f"{fn}: '{path}' is not an AdversarialTrainer checkpoint")
        t = state["trainer"]
        if t["method"] != self.method or t["seed"] != self.seed:
            raise ValueError(f"{fn}: '{path}' was written by a '{t['method']}' run with seed {t['seed']}; this "
                             f"trainer runs '{self.method}' with seed {self.seed}")
        if len(t["history"]) > self.epochs:
            raise ValueError(f"{fn}: '{path}' has {len(t['history'])} epochs done, more than epochs={self.epochs}")
        if (state["scheduler"] is None) != (self.scheduler is None):
            raise ValueError(f"{fn}: '{path}' and this trainer disagree on having a scheduler")
        if state["model"] is not None:
            self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        if self.scheduler is not None:
            self.scheduler.load_state_dict(state["scheduler"])
        records = []
        for d in t["history"]:
            r = _core.defenses.EpochRecord()
            for k in _FIELDS:
                setattr(r, k, d[k])
            records.append(r)
        self._impl.set_history(records)
        delta = t["free_delta"]
        if delta is not None and delta.numel() > 0:
            p = next(iter(self.model.parameters()), None) if hasattr(self.model, "parameters") else None
            self._impl.free_delta = delta.to(p.device) if p is not None else delta

    def __repr__(self):
        return (f"AdversarialTrainer(method={self.method!r}, epochs={self.epochs}, seed={self.seed}, "
                f"epoch={self.epoch})")
