//! Evaluating the markers of parsed requirements against an environment.

use std::path::Path;

use pep508_rs::{MarkerEnvironment, MarkerEnvironmentBuilder};
use requirements_txt::RequirementsTxt;

fn environment(python: &str, sys_platform: &str) -> MarkerEnvironment {
    MarkerEnvironment::try_from(MarkerEnvironmentBuilder {
        implementation_name: "cpython",
        implementation_version: python,
        os_name: "posix",
        platform_machine: "x86_64",
        platform_python_implementation: "CPython",
        platform_release: "6.1.0",
        platform_system: "Linux",
        platform_version: "#1 SMP",
        python_full_version: python,
        python_version: &python[..python.rfind('.').unwrap()],
        sys_platform,
    })
    .unwrap()
}

#[test]
fn requirements_for_filters_by_markers() {
    let content = "attrs==23.1.0 ; python_version >= \"3.8\"\n\
                   colorama==0.4.6 ; sys_platform == \"win32\"\n\
                   tomli==2.0.1 ; python_version < \"3.11\"\n\
                   six\n";
    let requirements =
        RequirementsTxt::parse_str(content, Path::new("requirements.txt"), Path::new("/")).unwrap();
    let names = |env: &MarkerEnvironment| -> Vec<String> {
        requirements
            .requirements_for(env)
            .map(|entry| entry.requirement.name.to_string())
            .collect()
    };
    assert_eq!(names(&environment("3.12.1", "linux")), ["attrs", "six"]);
    assert_eq!(
        names(&environment("3.10.13", "win32")),
        ["attrs", "colorama", "tomli", "six"]
    );
    assert!(requirements.requirements[1].evaluate_markers(&environment("3.7.17", "win32")));
}
