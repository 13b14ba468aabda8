"""Looking at a fit: matplotlib pictures of topics, of p_d(y) and of DDFA's clusters, and the
export to pyLDAvis.  matplotlib, pandas and pyLDAvis are imported only when used."""

from ._plots import domain_order, plot_domain_clusters, plot_domain_topic, plot_topics
from ._pyldavis import to_pyldavis

__all__ = ["plot_topics", "plot_domain_topic", "plot_domain_clusters", "domain_order", "to_pyldavis"]
