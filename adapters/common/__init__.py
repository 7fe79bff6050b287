"""What every platform's adapter shares, written once: where a long answer is cut (`cutting`),
how the model's Markdown is read (`markdown`), bounded image downloads (`downloads`), carrying
out each action type (`performer`), and small pieces of translation and wording (`events`,
`words`). Nothing here imports a platform SDK."""
