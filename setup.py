"""Build the optional compiled engine (``marketsim/core/_cengine.pyx``, Cython) and the two
extensions over it: the compiled LOBSTER replay loop (``marketsim/data/lobster/_cwindow.pyx``)
and the simulation's record router (``marketsim/sim/_crouter.pyx``).

Everything else about the package is in pyproject.toml. When an extension cannot be built
(no C compiler, no Python headers) the install goes on without it and marketsim runs its
pure-Python engine, saying so once when it starts (``marketsim.core.engine``).
"""

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

ENGINE_SOURCE = "marketsim/core/_cengine.pyx"
#: The replay loop and the router ``cimport`` the engine's C structures
#: (``marketsim/core/_cengine.pxd``).
REPLAY_SOURCE = "marketsim/data/lobster/_cwindow.pyx"
ROUTER_SOURCE = "marketsim/sim/_crouter.pyx"


class OptionalBuildExt(build_ext):
    """``build_ext`` that reports a failed compile instead of failing the install."""

    def run(self) -> None:
        try:
            super().run()
        except Exception as error:
            self._skipped(error)

    def build_extension(self, ext: Extension) -> None:
        try:
            super().build_extension(ext)
        except Exception as error:
            self._skipped(error)

    @staticmethod
    def _skipped(error: Exception) -> None:
        print(f"marketsim: not building the compiled engine ({error}); the pure one will run")


def engine_extensions() -> list[Extension]:
    """The compiled engine, replay loop and router, cythonized here (Cython is a build
    requirement)."""
    from Cython.Build import cythonize

    extensions = [
        Extension("marketsim.core._cengine", [ENGINE_SOURCE], extra_compile_args=["-O2"]),
        Extension("marketsim.data.lobster._cwindow", [REPLAY_SOURCE], extra_compile_args=["-O2"]),
        Extension("marketsim.sim._crouter", [ROUTER_SOURCE], extra_compile_args=["-O2"]),
    ]
    return cythonize(extensions, language_level=3, quiet=True)


setup(ext_modules=engine_extensions(), cmdclass={"build_ext": OptionalBuildExt})
