//! What a sync finds in the store and what it remembers between runs.

use fs_err as fs;
use puffin_installer::{Sync, SyncOptions, SyncReport};
use puffin_test_support::WheelBuilder;

use crate::fixture::{Fixture, requirements};

fn sync(
    fixture: &Fixture,
    venv: &std::path::Path,
    lines: &[&str],
    options: SyncOptions,
) -> SyncReport {
    let cache = fixture.cache();
    let environment = fixture.environment(venv);
    Sync::new(&environment, &cache)
        .with_options(options)
        .run(&requirements(lines))
        .unwrap()
}

fn names(report: &SyncReport) -> Vec<String> {
    report
        .installed
        .iter()
        .map(|wheel| wheel.filename.name.to_string())
        .collect()
}

/// Wheels found in the store and wheels downloaded in the same sync are
/// installed together, in the plan's order, and only the missing one is
/// downloaded.
#[test]
fn stored_and_downloaded_wheels_keep_the_plan_order() {
    let wheels = ["alpha", "beta", "gamma"]
        .map(|name| WheelBuilder::new(name, "1.0").file(&format!("{name}/__init__.py"), "X = 1\n"));
    let Some(fixture) = Fixture::serving(&wheels) else {
        return;
    };
    let first = sync(
        &fixture,
        &fixture.venv,
        &["alpha==1.0", "gamma==1.0"],
        fixture.options(),
    );
    assert_eq!(first.downloaded, 2);

    let venv = fixture.new_venv("second");
    let lines = ["gamma==1.0", "beta==1.0", "alpha==1.0"];
    let report = sync(&fixture, &venv, &lines, fixture.options());
    assert_eq!(report.downloaded, 1);
    let planned: Vec<String> = report
        .plan
        .install
        .iter()
        .map(|install| install.requirement.name.to_string())
        .collect();
    assert_eq!(names(&report), planned);
    let mut sorted = planned.clone();
    sorted.sort();
    assert_eq!(sorted, ["alpha", "beta", "gamma"]);
    for name in ["alpha", "beta", "gamma"] {
        assert!(
            fixture.environment(&venv).site_packages_dirs()[0]
                .join(name)
                .join("__init__.py")
                .is_file()
        );
    }
}

/// `demo` ships `demo/` and `extra_pkg/`, `other` ships `other/`.
fn orphan_fixture() -> Option<Fixture> {
    Fixture::serving(&[
        WheelBuilder::new("demo", "1.0")
            .file("demo/__init__.py", "X = 1\n")
            .file("extra_pkg/__init__.py", "X = 1\n"),
        WheelBuilder::new("other", "1.0").file("other/__init__.py", "X = 1\n"),
    ])
}

/// Drop `extra_pkg` from `demo`'s RECORD (site-packages itself does not
/// change): a scan for orphans now finds `extra_pkg`.
fn disown_extra_pkg(fixture: &Fixture, venv: &std::path::Path) {
    let site_packages = fixture.environment(venv).site_packages_dirs()[0].clone();
    let record = site_packages.join("demo-1.0.dist-info/RECORD");
    let kept: String = fs::read_to_string(&record)
        .unwrap()
        .lines()
        .filter(|line| !line.starts_with("extra_pkg/"))
        .map(|line| format!("{line}\n"))
        .collect();
    fs::write(&record, kept).unwrap();
}

/// A sync that only installs leaves no orphans, so the next no-op sync
/// does not scan for them (it would find the disowned package); `--fix`
/// always scans.
#[test]
fn a_sync_that_only_installs_spares_the_next_no_op_the_orphan_scan() {
    let Some(fixture) = orphan_fixture() else {
        return;
    };
    let venv = &fixture.venv;
    let installed = sync(&fixture, venv, &["demo==1.0"], fixture.options());
    assert_eq!(names(&installed), ["demo"]);
    disown_extra_pkg(&fixture, venv);

    let noop = sync(&fixture, venv, &["demo==1.0"], fixture.options());
    assert!(noop.is_noop());
    assert!(noop.orphans.is_empty(), "{:?}", noop.orphans);

    let mut fix = fixture.options();
    fix.fix_orphans = true;
    fix.dry_run = true;
    let dry_run = sync(&fixture, venv, &["demo==1.0"], fix);
    assert!(
        dry_run
            .orphans
            .roots
            .iter()
            .any(|root| root.ends_with("extra_pkg")),
        "{:?}",
        dry_run.orphans
    );
}

/// A sync that removes a distribution may leave orphans (files a user put
/// in its package): the next no-op sync scans again.
#[test]
fn a_sync_that_removes_is_followed_by_a_scan() {
    let Some(fixture) = orphan_fixture() else {
        return;
    };
    let venv = &fixture.venv;
    sync(
        &fixture,
        venv,
        &["demo==1.0", "other==1.0"],
        fixture.options(),
    );
    let removed = sync(&fixture, venv, &["demo==1.0"], fixture.options());
    assert_eq!(removed.plan.extraneous.len(), 1);
    disown_extra_pkg(&fixture, venv);

    let noop = sync(&fixture, venv, &["demo==1.0"], fixture.options());
    assert!(noop.is_noop());
    assert!(
        noop.orphans
            .roots
            .iter()
            .any(|root| root.ends_with("extra_pkg")),
        "{:?}",
        noop.orphans
    );
}
