"""The desk's routes, one router per part: questions, entities, Cypher, review, accounts."""
