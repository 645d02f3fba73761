//! Git checkouts of repositories the tests create with `git init`.

use std::path::{Path, PathBuf};
use std::process::Command;

use fs_err as fs;
use puffin_source::{Error, GitError, GitOptions, GitUrl, fetch, fetch_with};

fn git_is_installed() -> bool {
    let installed = Command::new("git")
        .arg("--version")
        .output()
        .is_ok_and(|output| output.status.success());
    if !installed {
        println!("Skipping: git is not installed");
    }
    installed
}

fn git(dir: &Path, args: &[&str]) -> String {
    let output = Command::new("git")
        .args([
            "-c",
            "user.name=Test",
            "-c",
            "user.email=test@example.invalid",
        ])
        .args(["-c", "commit.gpgsign=false", "-c", "tag.gpgsign=false"])
        .args(["-c", "protocol.file.allow=always"])
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", dir)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap().trim().to_string()
}

/// A repository with two commits on `main`, a branch `old` and an annotated
/// tag `v1.0` at the first, and a `pkg/` subdirectory.
struct Repo {
    dir: PathBuf,
    first: String,
    second: String,
}

fn repo(root: &Path) -> Repo {
    let dir = root.join("src-repo");
    fs::create_dir(&dir).unwrap();
    git(&dir, &["init", "--quiet", "--initial-branch=main"]);
    fs::create_dir(dir.join("pkg")).unwrap();
    fs::write(
        dir.join("pkg/pyproject.toml"),
        "[project]\nname = \"pkg\"\n",
    )
    .unwrap();
    fs::write(dir.join("version.txt"), "1\n").unwrap();
    git(&dir, &["add", "-A"]);
    git(&dir, &["commit", "--quiet", "-m", "first"]);
    let first = git(&dir, &["rev-parse", "HEAD"]);
    git(&dir, &["branch", "old"]);
    git(&dir, &["tag", "-a", "v1.0", "-m", "version 1.0"]);
    fs::write(dir.join("version.txt"), "2\n").unwrap();
    git(&dir, &["commit", "--quiet", "-am", "second"]);
    let second = git(&dir, &["rev-parse", "HEAD"]);
    Repo { dir, first, second }
}

fn url(repo: &Repo, suffix: &str) -> GitUrl {
    GitUrl::parse(&format!("git+file://{}{suffix}", repo.dir.display())).unwrap()
}

fn version(checkout: &Path) -> String {
    fs::read_to_string(checkout.join("version.txt")).unwrap()
}

#[test]
fn fetches_branches_tags_commits_and_head() {
    if !git_is_installed() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let repo = repo(dir.path());
    let cache = dir.path().join("git-v0");
    let short = &repo.first[..8];
    for (suffix, commit) in [
        ("", &repo.second),
        ("@main", &repo.second),
        ("@old", &repo.first),
        ("@v1.0", &repo.first),
        (&format!("@{}", repo.first) as &str, &repo.first),
        (&format!("@{short}"), &repo.first),
    ] {
        let checkout = fetch(&cache, &url(&repo, suffix), false).unwrap();
        assert_eq!(&checkout.commit, commit, "{suffix}");
        assert_eq!(checkout.path.file_name().unwrap(), commit.as_str());
        assert!(checkout.path.starts_with(cache.join("checkouts")));
        assert_eq!(checkout.source_root(), checkout.path);
        let expected = if commit == &repo.first { "1\n" } else { "2\n" };
        assert_eq!(version(&checkout.path), expected, "{suffix}");
        // A real checkout, for tools that read the history.
        assert_eq!(git(&checkout.path, &["rev-parse", "HEAD"]), *commit);
    }
    // One database, two checkouts, no leftovers.
    assert_eq!(
        fs::read_dir(cache.join("db")).unwrap().count(),
        2,
        "db and its lock"
    );
    let checkouts = fs::read_dir(cache.join("checkouts"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap();
    let mut names: Vec<_> = fs::read_dir(checkouts.path())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    let mut expected = vec![repo.first.clone(), repo.second.clone()];
    expected.sort();
    assert_eq!(names, expected);
}

#[test]
fn a_cached_full_commit_needs_neither_git_nor_the_network() {
    if !git_is_installed() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let repo = repo(dir.path());
    let cache = dir.path().join("git-v0");
    let pinned = url(&repo, &format!("@{}", repo.second));
    let warm = fetch(&cache, &pinned, false).unwrap();
    // Also fetch the first commit into the database, then drop its checkout.
    let first = fetch(&cache, &url(&repo, "@old"), false).unwrap();
    fs::remove_dir_all(&first.path).unwrap();
    fs::remove_dir_all(&repo.dir).unwrap();

    // No git at all: the checkout answers.
    let no_git = GitOptions {
        program: dir.path().join("no-such-git"),
    };
    let offline = fetch_with(&cache, &pinned, true, &no_git).unwrap();
    assert_eq!(offline, warm);

    // In the database but not checked out: checked out again without a fetch.
    let again = fetch(&cache, &url(&repo, &format!("@{}", repo.first)), true).unwrap();
    assert_eq!(again.commit, repo.first);
    assert_eq!(version(&again.path), "1\n");

    // Offline, a branch resolves from the last fetch.
    let old = fetch(&cache, &url(&repo, "@old"), true).unwrap();
    assert_eq!(old.commit, repo.first);
}

#[test]
fn offline_without_the_cache_is_a_clear_error() {
    if !git_is_installed() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let repo = repo(dir.path());
    let cache = dir.path().join("git-v0");
    for suffix in ["@main".to_string(), format!("@{}", repo.first)] {
        let err = fetch(&cache, &url(&repo, &suffix), true).unwrap_err();
        assert!(
            matches!(err, Error::Git(GitError::Offline { .. })),
            "{err:?}"
        );
        let message = err.to_string();
        assert!(message.contains("offline"), "{message}");
        assert!(
            message.contains(&repo.dir.display().to_string()),
            "{message}"
        );
    }
    // Cached, but the revision is not known to the last fetch.
    fetch(&cache, &url(&repo, "@main"), false).unwrap();
    let err = fetch(&cache, &url(&repo, "@newer"), true).unwrap_err();
    assert!(
        matches!(err, Error::Git(GitError::Offline { .. })),
        "{err:?}"
    );
}

#[test]
fn unknown_revisions_are_named() {
    if !git_is_installed() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let repo = repo(dir.path());
    let cache = dir.path().join("git-v0");
    for rev in ["no-such-branch", "deadbeef", &"0".repeat(40)] {
        let err = fetch(&cache, &url(&repo, &format!("@{rev}")), false).unwrap_err();
        let message = err.to_string();
        assert!(
            matches!(err, Error::Git(GitError::UnknownRev { .. })),
            "{message}"
        );
        assert!(message.contains(&format!("`{rev}`")), "{message}");
    }
}

#[test]
fn subdirectories_apply_to_the_source_root() {
    if !git_is_installed() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let repo = repo(dir.path());
    let cache = dir.path().join("git-v0");
    let checkout = fetch(&cache, &url(&repo, "@v1.0#subdirectory=pkg&egg=pkg"), false).unwrap();
    assert_eq!(checkout.subdirectory.as_deref(), Some("pkg"));
    assert_eq!(checkout.source_root(), checkout.path.join("pkg"));
    assert!(checkout.source_root().join("pyproject.toml").is_file());
    let err = fetch(&cache, &url(&repo, "@v1.0#subdirectory=nope"), false).unwrap_err();
    assert!(
        matches!(err, Error::Git(GitError::MissingSubdirectory { .. })),
        "{err:?}"
    );
    assert!(err.to_string().contains("`nope`"), "{err}");
}

#[test]
fn submodules_are_checked_out() {
    if !git_is_installed() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let sub = dir.path().join("sub-repo");
    fs::create_dir(&sub).unwrap();
    git(&sub, &["init", "--quiet", "--initial-branch=main"]);
    fs::write(sub.join("vendored.py"), "X = 1\n").unwrap();
    git(&sub, &["add", "-A"]);
    git(&sub, &["commit", "--quiet", "-m", "sub"]);
    let repo = repo(dir.path());
    let sub_url = format!("file://{}", sub.display());
    git(
        &repo.dir,
        &["submodule", "--quiet", "add", &sub_url, "vendor"],
    );
    git(&repo.dir, &["commit", "--quiet", "-m", "add a submodule"]);
    let checkout = fetch(&dir.path().join("git-v0"), &url(&repo, ""), false).unwrap();
    assert_eq!(
        fs::read_to_string(checkout.path.join("vendor/vendored.py")).unwrap(),
        "X = 1\n"
    );
}

#[test]
fn a_missing_git_program_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let options = GitOptions {
        program: dir.path().join("bin").join("git"),
    };
    let url = GitUrl::parse("git+https://host.invalid/repo.git@main").unwrap();
    let err = fetch_with(&dir.path().join("git-v0"), &url, false, &options).unwrap_err();
    assert!(
        matches!(err, Error::Git(GitError::GitNotFound { .. })),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .starts_with("git is required for `git+...` requirements: install git"),
        "{err}"
    );
}

/// A fetch that fails (nothing listens on the loopback port) reports git's
/// standard error, and never the password.
#[test]
fn failures_carry_gits_message_without_credentials() {
    if !git_is_installed() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let url = GitUrl::parse(&format!(
        "git+http://user:s3cret@127.0.0.1:{port}/repo.git@main"
    ))
    .unwrap();
    let err = fetch(&dir.path().join("git-v0"), &url, false).unwrap_err();
    let message = err.to_string();
    assert!(
        matches!(err, Error::Git(GitError::Command { .. })),
        "{message}"
    );
    assert!(!message.contains("s3cret"), "{message}");
    assert!(message.contains("user:****@127.0.0.1"), "{message}");
    assert!(message.contains("fatal:"), "git's message: {message}");
}

/// Two processes (here threads) fetching the same repository share the
/// database under its lock, and both get the one published checkout.
#[test]
fn concurrent_fetches_share_the_cache() {
    if !git_is_installed() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let repo = repo(dir.path());
    let cache = dir.path().join("git-v0");
    let url = url(&repo, "@main");
    let checkouts: Vec<_> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..3)
            .map(|_| scope.spawn(|| fetch(&cache, &url, false).unwrap()))
            .collect();
        handles
            .into_iter()
            .map(|handle| handle.join().unwrap())
            .collect()
    });
    assert!(checkouts.iter().all(|checkout| checkout == &checkouts[0]));
    assert_eq!(version(&checkouts[0].path), "2\n");
}
