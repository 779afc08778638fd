//! Default judge rubrics: per task type, the criteria judges score and their weights
//! within the judge part of the score (SPEC.md, "Task types"). A task may override the
//! weights with its own `rubric`, over the same criteria.

use super::TaskType;

/// Criterion ids and weights (summing to 100) for a task type.
pub fn default_rubric(task_type: TaskType) -> &'static [(&'static str, u32)] {
    match task_type {
        TaskType::BeatInterpolation => &[
            ("elements", 25),
            ("beat_execution", 25),
            ("must_not", 15),
            ("character_voice", 10),
            ("logical_bridge", 15),
            ("continuity", 10),
        ],
        TaskType::BeatRevision => &[
            ("diagnosis", 20),
            ("flaw_fixed", 20),
            ("beat_satisfied", 20),
            ("preservation", 10),
            ("required_kept", 10),
            ("minimal_change", 10),
            ("quality", 10),
        ],
        TaskType::ConstrainedContinuation => &[
            ("beats", 20),
            ("must_include", 30),
            ("must_not", 25),
            ("tone", 15),
            ("ending", 10),
        ],
        TaskType::TheoryConversion => &[
            ("beats", 35),
            ("preservation", 30),
            ("structure", 20),
            ("tone", 15),
        ],
        TaskType::MultiBeatSynthesis => &[
            ("beat_requirements", 40),
            ("cross_beat", 35),
            ("context", 15),
            ("coherence", 10),
        ],
        TaskType::Sequence => &[
            ("brief_fulfilment", 20),
            ("coherence", 15),
            ("creativity", 15),
            ("character_depth", 15),
            ("conceptual_depth", 15),
            ("imagery", 10),
            ("dialogue", 10),
        ],
        TaskType::AgenticConstraintDiscovery => &[
            ("question_quality", 20),
            ("constraints_satisfied", 40),
            ("beat_execution", 25),
            ("quality", 15),
        ],
        TaskType::AgenticPlanningExecution => &[
            ("plan_completeness", 20),
            ("plan_coherence", 15),
            ("plan_adherence", 30),
            ("constraints", 20),
            ("quality", 15),
        ],
        TaskType::AgenticIterativeRevision => &[
            ("responsiveness", 30),
            ("preservation", 15),
            ("constraints", 20),
            ("beat_execution", 20),
            ("quality", 15),
        ],
        TaskType::CritiqueImprovement => &[
            ("responsiveness", 30),
            ("preservation", 15),
            ("constraints", 15),
            ("beat_execution", 20),
            ("quality", 20),
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_default_rubric_sums_to_100() {
        for t in TaskType::ALL {
            let sum: u32 = default_rubric(t).iter().map(|(_, w)| w).sum();
            assert_eq!(sum, 100, "{t}");
        }
    }
}
