"""Resolve the Delta Lake jars for Spark once, cache them, and hand Spark a plain ``spark.jars`` list.

The delta-spark wheel carries Python code only; the JVM side (``io.delta:delta-spark_<spark>_2.13``
and its dependencies) comes from Maven. ``configure_spark_with_delta_pip`` asks Ivy for it at *every*
session start, with Spark's default resolver chain (which includes an unreachable spark-packages host
here). We resolve once, into ``<jars_dir>/<coordinate>/``, with Spark's own Ivy pointed at one Maven
repository (``SME_PULSE_MAVEN_REPO``), fall back to ``mvn dependency:copy-dependencies`` when Ivy
fails, and then start sessions from the cached files: no network, ~no resolution time.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
from dataclasses import dataclass
from pathlib import Path

from sme_pulse.errors import ConfigurationError, DeltaJarsUnavailableError
from sme_pulse.settings import Settings

SCALA_BINARY = "2.13"
_MANIFEST = "jars.json"
# Artifacts Spark already ships; a second copy on the classpath only invites conflicts.
_PROVIDED_GROUPS = ("org.scala-lang", "org.apache.spark")


@dataclass(frozen=True)
class MavenArtifact:
    group: str
    artifact: str
    version: str

    @property
    def coordinate(self) -> str:
        return f"{self.group}:{self.artifact}:{self.version}"

    @property
    def folder_name(self) -> str:
        return f"{self.group}_{self.artifact}-{self.version}"


def delta_artifact() -> MavenArtifact:
    """The Delta jar matching the installed delta-spark and pyspark (e.g. delta-spark_4.2_2.13:4.4.0)."""
    import pyspark

    delta_version = importlib.metadata.version("delta-spark")
    spark_minor = ".".join(pyspark.__version__.split(".")[:2])
    return MavenArtifact("io.delta", f"delta-spark_{spark_minor}_{SCALA_BINARY}", delta_version)


def require_java() -> str:
    """Path of the java binary Spark will use, or a clear error."""
    java_home = os.environ.get("JAVA_HOME")
    candidate = Path(java_home) / "bin" / "java" if java_home else None
    java = str(candidate) if candidate and candidate.exists() else shutil.which("java")
    if not java:
        raise ConfigurationError(
            "Java was not found: Spark 4 needs a Java 17 (or 21) runtime.",
            hint="Install OpenJDK 17 (apt-get install openjdk-17-jre-headless) or set JAVA_HOME.",
        )
    return java


def cached_delta_jars(settings: Settings) -> list[Path] | None:
    """The cached jar list if a previous resolution completed and every file is still there."""
    folder = settings.jars_dir / delta_artifact().folder_name
    manifest = folder / _MANIFEST
    if not manifest.exists():
        return None
    jars = [folder / name for name in json.loads(manifest.read_text())["jars"]]
    return jars if jars and all(jar.exists() for jar in jars) else None


def resolve_delta_jars(settings: Settings, *, allow_download: bool = True) -> list[Path]:
    """Return the Delta jars, resolving them into the cache on first use.

    Raises DeltaJarsUnavailableError naming the missing artifact when neither the cache nor a
    resolution (Ivy, then Maven) can provide it.
    """
    cached = cached_delta_jars(settings)
    if cached:
        return cached
    artifact = delta_artifact()
    folder = settings.jars_dir / artifact.folder_name
    if not allow_download:
        raise DeltaJarsUnavailableError(
            f"Delta jar {artifact.coordinate} is not in the cache ({folder}).",
            hint="Run `sme-pulse setup jars` (or `make setup`) once with access to a Maven repository.",
        )
    require_java()
    folder.mkdir(parents=True, exist_ok=True)
    errors: list[str] = []
    for resolver in (_resolve_with_ivy, _resolve_with_maven):
        try:
            jars = resolver(artifact, folder, settings.maven_repo)
        except (OSError, subprocess.SubprocessError, RuntimeError) as exc:
            errors.append(f"{resolver.__name__}: {exc}")
            continue
        if any(artifact.artifact in jar.name for jar in jars):
            _write_manifest(folder, jars)
            return jars
        errors.append(f"{resolver.__name__}: resolved {len(jars)} jars but not {artifact.coordinate}")
    raise DeltaJarsUnavailableError(
        f"Could not resolve Delta jar {artifact.coordinate} from {settings.maven_repo}.\n  " + "\n  ".join(errors),
        hint=(
            "Check that the repository is reachable, or set SME_PULSE_MAVEN_REPO to a mirror; or put "
            f"the jars in {folder}/jars and list them in {folder}/{_MANIFEST}."
        ),
    )


def _write_manifest(folder: Path, jars: list[Path]) -> None:
    manifest = {"jars": sorted(str(jar.relative_to(folder)) for jar in jars)}
    tmp = folder / f"{_MANIFEST}.tmp"
    tmp.write_text(json.dumps(manifest, indent=2))
    tmp.replace(folder / _MANIFEST)


def _resolve_with_ivy(artifact: MavenArtifact, folder: Path, maven_repo: str) -> list[Path]:
    """Let Spark's own Ivy resolve the package (in a child JVM) against exactly one repository."""
    ivy_dir = folder / "ivy"
    settings_file = folder / "ivysettings.xml"
    settings_file.write_text(
        textwrap.dedent(
            f"""\
            <ivysettings>
              <settings defaultResolver="main"/>
              <resolvers>
                <chain name="main">
                  <ibiblio name="maven" m2compatible="true" root="{maven_repo}"/>
                </chain>
              </resolvers>
            </ivysettings>
            """
        )
    )
    script = textwrap.dedent(
        f"""\
        from pyspark.sql import SparkSession
        spark = (SparkSession.builder.master("local[1]").appName("sme-pulse-resolve-jars")
                 .config("spark.jars.packages", {artifact.coordinate!r})
                 .config("spark.jars.ivy", {str(ivy_dir)!r})
                 .config("spark.jars.ivySettings", {str(settings_file)!r})
                 .config("spark.ui.enabled", "false")
                 .config("spark.driver.host", "127.0.0.1")
                 .config("spark.driver.bindAddress", "127.0.0.1")
                 .getOrCreate())
        spark.stop()
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=900, check=False)
    jars = sorted((ivy_dir / "jars").glob("*.jar"))
    if result.returncode != 0 or not jars:
        tail = "\n".join(result.stderr.strip().splitlines()[-6:])
        raise RuntimeError(f"Ivy resolution failed (exit {result.returncode}): {tail}")
    return [jar for jar in jars if not jar.name.startswith(_PROVIDED_GROUPS)]


def _resolve_with_maven(artifact: MavenArtifact, folder: Path, maven_repo: str) -> list[Path]:
    """Fallback: ``mvn dependency:copy-dependencies`` over a throwaway POM."""
    mvn = shutil.which("mvn")
    if not mvn:
        raise RuntimeError("mvn is not installed")
    out_dir = folder / "maven"
    pom = textwrap.dedent(
        f"""\
        <project xmlns="http://maven.apache.org/POM/4.0.0">
          <modelVersion>4.0.0</modelVersion>
          <groupId>dev.smepulse</groupId><artifactId>delta-jars</artifactId><version>1</version>
          <repositories><repository><id>main</id><url>{maven_repo}</url></repository></repositories>
          <dependencies><dependency>
            <groupId>{artifact.group}</groupId><artifactId>{artifact.artifact}</artifactId>
            <version>{artifact.version}</version>
          </dependency></dependencies>
        </project>
        """
    )
    with tempfile.TemporaryDirectory() as tmp:
        pom_path = Path(tmp) / "pom.xml"
        pom_path.write_text(pom)
        result = subprocess.run(
            [
                mvn,
                "-q",
                "-B",
                "-f",
                str(pom_path),
                "dependency:copy-dependencies",
                "-DincludeScope=runtime",
                f"-DexcludeGroupIds={','.join(_PROVIDED_GROUPS)}",
                "-Dmdep.prependGroupId=true",
                f"-DoutputDirectory={out_dir}",
            ],
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
    jars = sorted(out_dir.glob("*.jar"))
    if result.returncode != 0 or not jars:
        tail = "\n".join((result.stdout + result.stderr).strip().splitlines()[-6:])
        raise RuntimeError(f"mvn failed (exit {result.returncode}): {tail}")
    return jars
