"""Study mode: grade a learner's answer against the guide, schedule reviews, track mastery."""
