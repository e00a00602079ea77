"""Peak memory of a process tree, sampled: a pipeline that starts worker processes is measured whole."""

from __future__ import annotations

import threading


class TreeRssSampler:
    """Every 0.1 s, the summed RSS of process ``pid`` (default: this one) and its descendants, except
    ``exclude`` (e.g. a simulator started by the benchmark itself); ``peak`` is the highest sum seen."""

    def __init__(self, pid: int | None = None, exclude: int | None = None) -> None:
        import psutil

        self.peak = 0
        self._root = psutil.Process(pid)
        self._exclude = exclude
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        import psutil

        while not self._done.wait(0.1):
            try:
                processes = [self._root, *self._root.children(recursive=True)]
            except psutil.Error:
                return
            total = 0
            for process in processes:
                if process.pid != self._exclude:
                    try:
                        total += process.memory_info().rss
                    except psutil.Error:
                        pass
            self.peak = max(self.peak, total)

    def stop(self) -> int:
        """Stop sampling; returns the peak in bytes."""
        self._done.set()
        self._thread.join()
        return self.peak
