-- The weighed pairs clustering reads in a full regroup: those inside one component of the link
-- graph (a pair across two components never takes part in a merge: incidents/linkage/clustering.py),
-- with the batch of components they belong to and the positions of their two reports within it
-- (incidents/linkage/batches.py).
--
-- _scored:     every pair compared, weighed (sql/linkage/pair_weights.sql), positions a and b;
-- _components: (position, component, batch, local) of every report: its component of the link
--              graph, the batch that component is clustered in, and its place in that batch
--              (in the order of mention ids, as positions are).
SELECT ca.batch, ca.local AS a, cb.local AS b, s.weight, s.conflict, s.decision, s.must_link, s.is_link
FROM _scored s
JOIN _components ca ON ca.position = s.a
JOIN _components cb ON cb.position = s.b
WHERE ca.component = cb.component
